// The explorer page: draw, upload or film a digit or Greek letter, send it to the server, and show
// what comes back (answers, the 28x28 input, feature maps, heat maps: painted by paint.js).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { source: "draw", kind: "digits", lastUpload: null, strokes: [], seq: 0, shown: 0, letters: [] };
const PEN = 18;            // pen width on the 280-px pad: MNIST-like strokes after scaling to 20 px
const DRAW_DEBOUNCE = 250; // ms between requests while the pen moves

// --- talking to the server ------------------------------------------------------------------

const endpoint = () => (state.kind === "greek" ? "/api/greek" : "/api/predict");

async function ask(blob, name) {
  const form = new FormData();
  form.append("image", blob, name);
  const response = await fetch(endpoint(), { method: "POST", body: form });
  const body = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
  if (!response.ok) {
    const error = new Error(body.detail || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

// One request at a time; while one is out, only the newest image waits for its turn.
let inflight = false;
let waiting = null;

function submit(makeBlob, name) {
  waiting = { makeBlob, name };
  if (!inflight) sendWaiting();
}

async function sendWaiting() {
  const job = waiting;
  waiting = null;
  inflight = true;
  const seq = ++state.seq;
  try {
    const result = await ask(await job.makeBlob(), job.name);
    if (seq > state.shown) { state.shown = seq; show(result); }
    setStatus(`answered: ${result.preprocess_ms} ms preprocessing, ${result.compute_ms} ms networks and maps`);
    return result;
  } catch (error) {
    if (seq > state.shown) resetAnswer(error.status === 422 ? `No ${noun()} found` : "No answer");
    setStatus(explain(error), true);
    return null;
  } finally {
    inflight = false;
    if (waiting) sendWaiting();
  }
}

// The server's detail says what was wrong and what to do; only the first letter is raised.
const explain = (error) => error.message.charAt(0).toUpperCase() + error.message.slice(1);

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

const noun = () => (state.kind === "greek" ? "letter" : "digit");

// --- showing an answer ----------------------------------------------------------------------

function show(result) {
  $("prediction").textContent = state.kind === "greek" ? greekSymbol(result.prediction) : result.prediction;
  const note = state.kind === "greek"
    ? `${result.prediction} (${result.reader.name}, chosen on other writers`
      + (result.reader.near_tie ? `; a near-tie with ${result.reader.runner_up})` : ")")
    : `read by the ${result.networks[0].name}`;
  $("prediction-note").textContent = result.doubt ? `${note}. But: ${result.doubt}` : note;
  showNetworks(state.kind === "greek" ? [result.transfer] : result.networks);
  showDisagreement(state.kind === "greek" ? [] : result.networks);
  $("greek-results").hidden = state.kind !== "greek";
  if (state.kind === "greek") showGreek(result);
  paintGrey($("input28"), result.input);
  for (const id of ["saliency", "integrated_gradients", "gradcam"]) paintHeat($(id), result.input, result[id]);
  showMaps($("block1"), result.feature_maps.block1);
  showMaps($("block2"), result.feature_maps.block2);
}

const GREEK = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", zeta: "ζ", eta: "η", theta: "θ",
  iota: "ι", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", omicron: "ο", pi: "π", rho: "ρ",
  sigma: "σ", tau: "τ", upsilon: "υ", phi: "φ", chi: "χ", psi: "ψ", omega: "ω",
};
const greekSymbol = (name) => GREEK[name] || name;

function showNetworks(networks) {
  const box = $("networks");
  box.replaceChildren();
  for (const net of networks) {
    const part = element("div", "network");
    part.append(element("h3", "", `${net.name}: top 3`));
    for (const { class: label, probability } of net.top3) {
      const row = element("div", "bar-row");
      const shown = state.kind === "greek" ? `${greekSymbol(label)} ${label}` : label;
      const bar = element("div", "bar");
      const fill = element("span");
      fill.style.width = `${(100 * probability).toFixed(1)}%`;
      bar.append(fill);
      row.append(element("span", "label", shown), bar, element("span", "pct", `${(100 * probability).toFixed(1)}%`));
      part.append(row);
    }
    box.append(part);
  }
}

// Networks that read the same input differently: the answer is less certain than any one bar says.
function showDisagreement(networks) {
  const answers = new Set(networks.map((n) => n.prediction));
  $("disagree").hidden = answers.size < 2;
  $("disagree").textContent = answers.size < 2 ? "" : "The networks disagree: "
    + networks.map((n) => `the ${n.name} reads ${n.prediction}`).join(", ") + ".";
}

function showGreek(result) {
  const body = $("classifiers").tBodies[0];
  body.replaceChildren();
  for (const [name, letter] of Object.entries(result.classifiers)) {
    const row = body.insertRow();
    row.insertCell().textContent = name;
    row.insertCell().textContent = `${greekSymbol(letter)} ${letter}`;
  }
  const list = $("neighbours");
  list.replaceChildren();
  for (const n of result.neighbours) {
    const item = element("li");
    const thumb = pixelCanvas(28, `Reference letter ${n.letter}, ${n.file}`);
    paintGrey(thumb, n.input);
    const text = element("span", "", `${greekSymbol(n.letter)} ${n.letter}, SSD ${n.ssd.toFixed(1)} `);
    text.append(element("span", "file", n.file));
    item.append(thumb, text);
    list.append(item);
  }
}

// Numbered from 0, as the report's Task 2 figures number the filters and channels.
function showMaps(box, maps) {
  if (box.children.length !== maps.length) {
    box.replaceChildren(...maps.map((m, i) => {
      const fig = element("figure");
      const label = `${box.dataset.name}, feature map ${i}`;
      fig.append(pixelCanvas(m.length, label), element("figcaption", "", `${i}`));
      return fig;
    }));
  }
  maps.forEach((m, i) => paintMap(box.children[i].querySelector("canvas"), m));
}

// --- drawing --------------------------------------------------------------------------------

const pad = $("pad");
const padCtx = pad.getContext("2d");
let drawTimer = null;

function clearPad() {
  padCtx.fillStyle = "#fff";
  padCtx.fillRect(0, 0, pad.width, pad.height);
}

function redraw() {
  clearPad();
  padCtx.strokeStyle = "#000";
  padCtx.lineWidth = PEN;
  padCtx.lineCap = padCtx.lineJoin = "round";
  for (const stroke of state.strokes) {
    padCtx.beginPath();
    padCtx.moveTo(stroke[0][0], stroke[0][1]);
    for (const [x, y] of stroke.slice(1)) padCtx.lineTo(x, y);
    if (stroke.length === 1) padCtx.lineTo(stroke[0][0] + 0.1, stroke[0][1]);
    padCtx.stroke();
  }
}

function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * (pad.width / box.width), (event.clientY - box.top) * (pad.height / box.height)];
}

const padBlob = () => new Promise((resolve) => pad.toBlob(resolve, "image/png"));

function predictDrawing() {
  clearTimeout(drawTimer);
  drawTimer = null;
  if (state.strokes.length) submit(padBlob, "drawing.png");
  else resetAnswer("Draw something to start");
}

pad.addEventListener("pointerdown", (event) => {
  pad.setPointerCapture(event.pointerId);
  state.strokes.push([padPoint(event)]);
  redraw();
});
pad.addEventListener("pointermove", (event) => {
  if (!pad.hasPointerCapture(event.pointerId)) return;
  state.strokes[state.strokes.length - 1].push(padPoint(event));
  redraw();
  if (!drawTimer) drawTimer = setTimeout(predictDrawing, DRAW_DEBOUNCE);
});
const endStroke = (event) => {
  if (!pad.hasPointerCapture(event.pointerId)) return;
  pad.releasePointerCapture(event.pointerId);
  predictDrawing();
};
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);
$("undo").addEventListener("click", () => { state.strokes.pop(); redraw(); predictDrawing(); });
$("clear").addEventListener("click", () => { state.strokes = []; redraw(); predictDrawing(); });

function resetAnswer(note) {
  state.shown = ++state.seq; // an answer still on its way is now out of date
  $("prediction").textContent = "–";
  $("prediction-note").textContent = note;
  $("networks").replaceChildren();
  $("disagree").hidden = true;
  $("greek-results").hidden = true;
  for (const id of ["input28", "saliency", "integrated_gradients", "gradcam"]) {
    $(id).getContext("2d").clearRect(0, 0, 28, 28);
  }
  for (const id of ["block1", "block2"]) $(id).replaceChildren();
  setStatus("");
}

// --- uploading ------------------------------------------------------------------------------

function useFile(file) {
  if (!file) return;
  state.lastUpload = file;
  const preview = $("preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.classList.remove("small");
  preview.style.width = "";
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  submit(async () => file, file.name);
}

// A small image (a 28x28 crop) is shown enlarged by a whole factor, its pixels kept square and sharp.
$("preview").addEventListener("load", (event) => {
  const img = event.target, side = Math.max(img.naturalWidth, img.naturalHeight);
  if (side >= PREVIEW_SMALL) return;
  img.classList.add("small");
  img.style.width = `${img.naturalWidth * Math.floor(PREVIEW_SIDE / side)}px`;
});
const PREVIEW_SMALL = 140, PREVIEW_SIDE = 252;

$("file").addEventListener("change", (event) => useFile(event.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  useFile(event.dataTransfer.files[0]);
});

// --- switching modes ------------------------------------------------------------------------

// Tabs (source) and radio buttons (kind): the chosen one is marked and is the one Tab reaches.
function select(attribute, value) {
  for (const b of document.querySelectorAll(`[data-${attribute}]`)) {
    const chosen = b.dataset[attribute] === value;
    b.setAttribute(b.getAttribute("role") === "radio" ? "aria-checked" : "aria-selected", String(chosen));
    b.tabIndex = chosen ? 0 : -1;
  }
}

// Arrow keys (and Home, End) move along a group and choose, as in any tab list or radio group.
for (const group of document.querySelectorAll("[role=tablist], [role=radiogroup]")) {
  group.addEventListener("keydown", (event) => {
    const buttons = [...group.querySelectorAll("button:not(:disabled)")];
    const i = buttons.indexOf(document.activeElement);
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    const next = event.key === "Home" ? 0 : event.key === "End" ? buttons.length - 1
      : step ? (i + step + buttons.length) % buttons.length : null;
    if (next === null || i < 0) return;
    event.preventDefault();
    buttons[next].focus();
    buttons[next].click();
  });
}

function rerun() {
  if (state.source === "draw") predictDrawing();
  else if (state.source === "upload" && state.lastUpload) submit(async () => state.lastUpload, state.lastUpload.name);
  else resetAnswer(state.source === "webcam" ? "Start the camera" : "Choose an image");
}

for (const b of document.querySelectorAll("[data-source]")) {
  b.addEventListener("click", () => {
    state.source = b.dataset.source;
    select("source", state.source);
    for (const name of ["draw", "upload", "webcam"]) $(`${name}-panel`).hidden = name !== state.source;
    if (state.source !== "webcam") stopCamera();
    rerun();
  });
}

for (const b of document.querySelectorAll("[data-kind]")) {
  b.addEventListener("click", () => {
    state.kind = b.dataset.kind;
    select("kind", state.kind);
    for (const n of document.querySelectorAll(".kind-noun")) n.textContent = noun();
    showKind();
    recent = [];
    $("steady").textContent = "–";
    rerun();
  });
}

// The title says what is read; in Greek mode the page says which letters it knows and how to
// teach it others (the server's --greek-dir).
function showKind() {
  const greek = state.kind === "greek";
  $("title").textContent = greek ? "Greek letter explorer" : "Digit explorer";
  document.title = `${$("title").textContent}: watch the network read your handwriting`;
  $("greek-about").hidden = !greek;
  $("greek-about").textContent = `It knows ${state.letters.length} letters: `
    + state.letters.map((l) => `${greekSymbol(l)} ${l}`).join(", ") + `, from the reference set in ${state.reference}. `
    + "To read other letters, or your own hand, restart the server with --greek-dir pointing at a folder "
    + "with one sub-folder of images per letter, e.g. the course's greek_train.";
}

fetch("/api/info").then((r) => r.json()).then((info) => {
  state.letters = info.letters;
  state.reference = info.reference;
  if (!info.letters.length) document.querySelector('[data-kind="greek"]').disabled = true;
});
clearPad();
