// The explorer page's webcam: frames from the centre box sent four times a second, and the steady
// answer (or "no symbol in view"). Loaded after app.js, whose state and submit queue it shares.
"use strict";

const WEBCAM_EVERY = 250;  // ms between webcam frames sent
const STEADY_FRAMES = 3;   // the same answer this many frames running is the steady answer
const IN_VIEW_P = 0.8;     // a frame whose answer is less sure than this holds no symbol
const NO_SYMBOL = "no symbol in view";

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
  // While another answer is on its way, skip this frame: a frame left queued would be shown by
  // the submit queue without passing updateSteady's test for a symbol in view.
  if (video.videoWidth && !inflight) {
    waiting = { makeBlob: grabBox, name: "webcam.jpg" };
    updateSteady(await sendWaiting());
  }
  webcamTimer = setTimeout(webcamLoop, Math.max(0, WEBCAM_EVERY - (performance.now() - started)));
}

// A frame with no ink (422), with doubt (noise, texture, several marks) or a hesitant answer shows
// "no symbol in view": an empty desk or a face is no digit, whatever the network's best guess.
function updateSteady(result) {
  const [label, p] = !result ? [null, 0] : state.kind === "greek"
    ? [result.prediction, result.transfer.probabilities[result.transfer.classes.indexOf(result.prediction)]]
    : [result.prediction, result.probabilities[Number(result.prediction)]];
  if (!result || result.doubt || p < IN_VIEW_P) {
    recent = [];
    $("steady").textContent = NO_SYMBOL;
    resetAnswer(`${NO_SYMBOL}: hold one ${noun()} inside the box`);
    return;
  }
  recent = [...recent, { label, p }].slice(-STEADY_FRAMES);
  const steady = recent.length === STEADY_FRAMES && recent.every((r) => r.label === label);
  if (steady) $("steady").textContent = state.kind === "greek" ? `${greekSymbol(label)} ${label}` : label;
}

$("camera").addEventListener("click", () => (stream ? stopCamera() : startCamera()));
