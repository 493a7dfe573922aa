// The explorer page: draw, upload or film a digit or Greek letter, send it to the server,
// and draw what comes back (answers, the 28x28 input, feature maps, heat maps).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { source: "draw", kind: "digits", lastUpload: null, strokes: [], seq: 0, shown: 0 };
const PEN = 18;            // pen width on the 280-px pad: MNIST-like strokes after scaling to 20 px
const DRAW_DEBOUNCE = 250; // ms between requests while the pen moves
const WEBCAM_EVERY = 250;  // ms between webcam frames sent
const STEADY_FRAMES = 3;   // the same answer this many frames running ...
const STEADY_P = 0.5;      // ... each with at least this probability

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
  $("prediction-note").textContent = state.kind === "greek"
    ? `${result.prediction} (${result.reader.name}, chosen on other writers`
      + (result.reader.near_tie ? `; a near-tie with ${result.reader.runner_up})` : ")")
    : `read by the ${result.networks[0].name}`;
  showNetworks(state.kind === "greek" ? [result.transfer] : result.networks);
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
    const thumb = pixelCanvas(28);
    paintGrey(thumb, n.input);
    const text = element("span", "", `${greekSymbol(n.letter)} ${n.letter}, SSD ${n.ssd.toFixed(1)} `);
    text.append(element("span", "file", n.file));
    item.append(thumb, text);
    list.append(item);
  }
}

function showMaps(box, maps) {
  if (box.children.length !== maps.length) {
    box.replaceChildren(...maps.map((m, i) => {
      const fig = element("figure");
      fig.append(pixelCanvas(m.length), element("figcaption", "", `${i + 1}`));
      return fig;
    }));
  }
  maps.forEach((m, i) => paintMap(box.children[i].querySelector("canvas"), m));
}

function element(tag, className = "", text = "") {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text) el.textContent = text;
  return el;
}

function pixelCanvas(side) {
  const c = element("canvas", "pixels");
  c.width = c.height = side;
  return c;
}

// --- painting arrays ------------------------------------------------------------------------

function paint(canvas, rows, colour) {
  const h = rows.length, w = rows[0].length;
  canvas.width = w; canvas.height = h;
  canvas.classList.add("pixels");
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = colour(y, x);
      const k = 4 * (y * w + x);
      img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

function paintGrey(canvas, rows) {
  paint(canvas, rows, (y, x) => { const v = 255 * rows[y][x]; return [v, v, v]; });
}

// The input in dim grey under the attribution: red where it speaks for the answer, blue against.
function paintHeat(canvas, input, heat) {
  paint(canvas, input, (y, x) => {
    const g = 110 * input[y][x], v = heat[y][x], a = Math.min(1, Math.abs(v)) * 0.9;
    const colour = v >= 0 ? [255, 40, 0] : [40, 110, 255];
    return colour.map((c) => g * (1 - a) + c * a);
  });
}

// Feature maps: each scaled to its own maximum, dark blue (0) to yellow (max).
const STOPS = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];
function paintMap(canvas, rows) {
  const top = Math.max(1e-6, ...rows.flat());
  paint(canvas, rows, (y, x) => {
    const t = (rows[y][x] / top) * (STOPS.length - 1), i = Math.min(STOPS.length - 2, Math.floor(t)), f = t - i;
    return STOPS[i].map((c, j) => c + f * (STOPS[i + 1][j] - c));
  });
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
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  submit(async () => file, file.name);
}

$("file").addEventListener("change", (event) => useFile(event.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  useFile(event.dataTransfer.files[0]);
});

// --- webcam ---------------------------------------------------------------------------------

const video = $("video");
const frame = document.createElement("canvas");
frame.width = frame.height = 280;
let stream = null, webcamTimer = null, recent = [];

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    setStatus("This browser gives no camera access here (it needs http://127.0.0.1 or https).", true);
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (error) {
    setStatus(`No camera: ${error.message}`, true);
    return;
  }
  video.srcObject = stream;
  await video.play();
  $("camera").textContent = "Stop camera";
  recent = [];
  webcamLoop();
}

function stopCamera() {
  clearTimeout(webcamTimer);
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  video.srcObject = null;
  $("camera").textContent = "Start camera";
}

// The framing box is the centre square, 60% of the shorter side of what is shown (object-fit: cover).
function grabBox() {
  const vw = video.videoWidth, vh = video.videoHeight;
  const box = video.getBoundingClientRect();
  const scale = Math.max(box.width / vw, box.height / vh);
  const side = (0.6 * box.width) / scale;
  const ctx = frame.getContext("2d");
  ctx.drawImage(video, (vw - side) / 2, (vh - side) / 2, side, side, 0, 0, frame.width, frame.height);
  return new Promise((resolve) => frame.toBlob(resolve, "image/jpeg", 0.9));
}

async function webcamLoop() {
  if (!stream) return;
  const started = performance.now();
  if (video.videoWidth) {
    waiting = { makeBlob: grabBox, name: "webcam.jpg" };
    const result = inflight ? null : await sendWaiting();
    updateSteady(result);
  }
  webcamTimer = setTimeout(webcamLoop, Math.max(0, WEBCAM_EVERY - (performance.now() - started)));
}

function updateSteady(result) {
  if (!result) { recent = []; $("steady").textContent = "–"; return; }
  const [label, p] = state.kind === "greek"
    ? [result.prediction, result.transfer.probabilities[result.transfer.classes.indexOf(result.prediction)]]
    : [String(result.prediction), result.probabilities[result.prediction]];
  recent = [...recent, { label, p }].slice(-STEADY_FRAMES);
  const steady = recent.length === STEADY_FRAMES && recent.every((r) => r.label === label && r.p > STEADY_P);
  if (steady) $("steady").textContent = state.kind === "greek" ? `${greekSymbol(label)} ${label}` : label;
}

$("camera").addEventListener("click", () => (stream ? stopCamera() : startCamera()));

// --- switching modes ------------------------------------------------------------------------

function select(attribute, value) {
  for (const b of document.querySelectorAll(`[data-${attribute}]`)) {
    b.setAttribute("aria-selected", String(b.dataset[attribute] === value));
  }
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
    recent = [];
    $("steady").textContent = "–";
    rerun();
  });
}

fetch("/api/info").then((r) => r.json()).then((info) => {
  if (!info.letters.length) document.querySelector('[data-kind="greek"]').disabled = true;
});
clearPad();
