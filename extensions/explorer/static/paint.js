// The explorer page's pictures: arrays from the server painted on canvases (grey inputs, red/blue
// attributions, feature maps), and the small elements they sit in. Loaded before app.js.
"use strict";

function element(tag, className = "", text = "") {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text) el.textContent = text;
  return el;
}

function pixelCanvas(side, label) {
  const c = element("canvas", "pixels");
  c.width = c.height = side;
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", label);
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
