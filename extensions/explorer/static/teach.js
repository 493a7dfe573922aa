// Teach mode: keep a few of your own examples (from the pad or an upload), adapt a personal reader
// to them, and test both readers side by side. Uses app.js's pad, upload and helpers; only your
// folder on this computer (DATA_DIR/mine/<name>/) and your personal reader are written.
"use strict";

const teach = { on: false, reader: "personal", last: null, seq: 0, shown: 0, symbols: {} };
const teachKind = () => (state.kind === "greek" ? "letters" : "digits");
const symbolText = (label) => (teachKind() === "letters" ? `${greekSymbol(label)} ${label}` : label);

function teachStatus(text, isError = false) {
  $("teach-status").textContent = text;
  $("teach-status").classList.toggle("error", isError);
}

function teachName() {
  const name = $("teach-name").value.trim();
  localStorage.setItem("teach-name", name);
  return name;
}

async function teachCall(method, path, fields = {}, blob = null) {
  let url = `/api/teach/${path}`, options = { method };
  if (method === "GET" || method === "DELETE") {
    url += `?${new URLSearchParams(fields)}`;
  } else {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    if (blob) form.append("image", blob, blob.name || "drawing.png");
    options = { method, body: form };
  }
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
  return body;
}

// What is on the input now: the pad, the last upload, or the webcam's box (webcam.js); null when
// there is nothing.
async function currentImage() {
  if (state.source === "upload") return state.lastUpload;
  if (state.source === "webcam") return stream && video.videoWidth ? grabBox() : null;
  return state.strokes.length ? padBlob() : null;
}

// --- examples -------------------------------------------------------------------------------

function fillSymbols() {
  const select = $("teach-label"), truth = $("teach-truth");
  const labels = teach.symbols[teachKind()] || [];
  for (const box of [select, truth]) {
    const keep = box.value;
    box.replaceChildren(...labels.map((label) => new Option(symbolText(label), label)));
    if (labels.includes(keep)) box.value = keep;
  }
}

async function loadExamples() {
  if (!teachName()) return;
  try {
    const body = await teachCall("GET", "examples", { name: teachName(), kind: teachKind() });
    showExamples(body.examples);
    const adapted = body.adapted[teachKind()];
    $("teach-adapted").textContent = adapted
      ? `Your reader was adapted to ${adapted.length} example${adapted.length === 1 ? "" : "s"}.`
      : "Not adapted yet: the personal reader reads as the base one until you adapt.";
    await loadScore();
  } catch (error) {
    teachStatus(explain(error), true);
  }
}

function showExamples(examples) {
  $("teach-count").textContent = `${examples.length} example${examples.length === 1 ? "" : "s"}`;
  $("teach-examples").replaceChildren(...examples.map((example) => {
    const fig = element("figure", "example");
    const file = example.file.split("/")[1];
    const thumb = pixelCanvas(28, `Your example ${file} of ${example.label}`);
    paintGrey(thumb, example.input);
    const remove = element("button", "delete", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", `Delete example ${file} of ${example.label}`);
    remove.addEventListener("click", () => deleteExample(example.label, file));
    fig.append(thumb, element("figcaption", "", symbolText(example.label)), remove);
    return fig;
  }));
}

async function keepExample() {
  const image = await currentImage();
  if (!image) { teachStatus(`Write a ${noun()} on the pad (or upload one, or start the camera) first.`, true); return; }
  try {
    const label = $("teach-label").value;
    const kept = await teachCall("POST", "examples", { name: teachName(), label }, image);
    teachStatus(`Kept ${kept.file}. Write the next one.`);
    if (state.source === "draw") $("clear").click();
    await loadExamples();
  } catch (error) {
    teachStatus(explain(error), true);
  }
}

async function deleteExample(label, file) {
  try {
    await teachCall("DELETE", "examples", { name: teachName(), label, file });
    teachStatus(`Deleted ${label}/${file}.`);
    await loadExamples();
  } catch (error) {
    teachStatus(explain(error), true);
  }
}

async function adaptReader() {
  teachStatus("Adapting…");
  try {
    const body = await teachCall("POST", "adapt", { name: teachName(), kind: teachKind() });
    teachStatus(`Adapted to ${body.examples} examples of ${body.symbols} symbols in ${body.seconds.toFixed(2)} s ` +
      `(saved as ${body.checkpoint}).`);
    await loadExamples();
    testMe();
  } catch (error) {
    teachStatus(explain(error), true);
  }
}

// --- Test me --------------------------------------------------------------------------------

async function testMe() {
  const image = await currentImage();
  const seq = ++teach.seq;
  if (!image) { showAnswers(null); return; }
  try {
    const body = await teachCall("POST", "predict", { name: teachName(), kind: teachKind() }, image);
    if (seq > teach.shown) { teach.shown = seq; showAnswers(body); }
  } catch (error) {
    if (seq > teach.shown) { teach.shown = seq; showAnswers(null); }
    teachStatus(explain(error), true);
  }
}

function showAnswers(body) {
  teach.last = body;
  for (const reader of ["base", "personal"]) {
    const answer = body && body[reader];
    $(`teach-${reader}`).textContent = answer ? symbolText(answer.prediction) : "–";
    $(`teach-${reader}-box`).classList.toggle("chosen", reader === teach.reader);
  }
  $("teach-personal-note").textContent = body && !body.personal ? "adapt first" : "";
  for (const id of ["teach-right", "teach-wrong"]) $(id).disabled = !body;
}

async function judge(right) {
  const body = teach.last;
  if (!body) return;
  const chosen = body[teach.reader] || body.base;
  const truth = right ? chosen.prediction : $("teach-truth").value;
  if (!right && truth === chosen.prediction) {
    teachStatus(`It said ${symbolText(truth)}: choose what you really wrote under "Wrong? I wrote", then tap Wrong.`, true);
    return;
  }
  const fields = { name: teachName(), truth, base: body.base.prediction };
  if (body.personal) fields.personal = body.personal.prediction;
  try {
    showScore(await teachCall("POST", "tests", fields));
    teachStatus(`Noted: you wrote ${symbolText(truth)}. Write the next one.`);
    teach.last = null;
    for (const id of ["teach-right", "teach-wrong"]) $(id).disabled = true;
    if (state.source === "draw") $("clear").click();
  } catch (error) {
    teachStatus(explain(error), true);
  }
}

async function loadScore() {
  showScore(await teachCall("GET", "tests", { name: teachName(), kind: teachKind() }));
}

// Each reader's right answers; the chosen reader's confusion matrix (rows: what you wrote).
function showScore(summary) {
  const parts = ["base", "personal"].map((reader) => {
    const { right, scored } = summary.readers[reader];
    return `${reader}: ${right}/${scored} right` + (scored ? ` (${((100 * right) / scored).toFixed(0)}%)` : "");
  });
  $("teach-score").textContent = summary.tests ? parts.join(" · ") : "No tests yet.";
  const table = $("teach-confusion");
  table.replaceChildren();
  if (!summary.tests) return;
  const { confusion } = summary.readers[teach.reader];
  table.createCaption().textContent = `${teach.reader} reader: rows what you wrote, columns what it read`;
  const head = table.createTHead().insertRow();
  head.append(element("th", "", ""), ...summary.labels.map((l) => element("th", "", symbolText(l))));
  const rows = table.createTBody();
  summary.labels.forEach((label, i) => {
    const row = rows.insertRow();
    row.append(element("th", "", symbolText(label)));
    confusion[i].forEach((n, j) => {
      const cell = row.insertCell();
      cell.textContent = n ? String(n) : "";
      cell.className = n ? (i === j ? "hit" : "miss") : "";
    });
  });
}

// --- switching ------------------------------------------------------------------------------

function setReader(reader) {
  teach.reader = reader;
  for (const b of document.querySelectorAll("[data-reader]")) {
    b.setAttribute("aria-pressed", String(b.dataset.reader === reader));
  }
  showAnswers(teach.last);
  loadScore().catch((error) => teachStatus(explain(error), true));
}

function toggleTeach() {
  teach.on = !teach.on;
  $("teach-toggle").setAttribute("aria-pressed", String(teach.on));
  $("teach").hidden = !teach.on;
  $("inside").hidden = teach.on;
  if (teach.on) { fillSymbols(); loadExamples(); testMe(); }
}

$("teach-toggle").addEventListener("click", toggleTeach);
$("teach-keep").addEventListener("click", keepExample);
$("teach-adapt").addEventListener("click", adaptReader);
$("teach-read").addEventListener("click", testMe);
$("teach-right").addEventListener("click", () => judge(true));
$("teach-wrong").addEventListener("click", () => judge(false));
$("teach-name").addEventListener("change", () => { if (teach.on) loadExamples(); });
// What you are writing now is, most likely, the symbol you last chose to keep.
$("teach-label").addEventListener("change", () => { $("teach-truth").value = $("teach-label").value; });
for (const b of document.querySelectorAll("[data-reader]")) b.addEventListener("click", () => setReader(b.dataset.reader));
for (const b of document.querySelectorAll("[data-kind]")) {
  b.addEventListener("click", () => { if (teach.on) { fillSymbols(); loadExamples(); testMe(); } });
}
// After app.js's own handlers: read what is on the input whenever it changes.
for (const [id, event] of [["pad", "pointerup"], ["undo", "click"], ["clear", "click"], ["file", "change"]]) {
  $(id).addEventListener(event, () => { if (teach.on) testMe(); });
}

$("teach-name").value = localStorage.getItem("teach-name") || "me";
fetch("/api/teach").then((r) => (r.ok ? r.json() : null)).then((info) => {
  if (info) teach.symbols = info.labels;
  else $("teach-toggle").disabled = true;
});
