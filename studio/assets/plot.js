// Plots and pictures for the studio's pages: SVG line charts, gray and
// diverging images on canvas. No library: a few functions the pages share.

const NS = 'http://www.w3.org/2000/svg';

// el makes an SVG element with attributes.
export function el(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

// ticks returns about n round values covering [lo, hi].
export function ticks(lo, hi, n = 5) {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

// fmt prints a tick value briefly.
export function fmt(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(0);
  return +v.toPrecision(4) + '';
}

// lineChart draws series into svg (its viewBox gives the size). A series is
// {points: [[x, y], ...], color, dash, width, dots, label, cls}. opts may
// fix xmin, xmax, ymin, ymax and name the axes (xlabel). It returns the
// scales, so that callers can add marks of their own.
export function lineChart(svg, series, opts = {}) {
  svg.replaceChildren();
  const [, , W, H] = svg.getAttribute('viewBox').split(' ').map(Number);
  const m = { l: 48, r: 12, t: 10, b: 30 };
  const all = series.flatMap(s => s.points).filter(p => p[1] !== null && isFinite(p[1]) && isFinite(p[0]));
  let xmin = opts.xmin ?? Math.min(...all.map(p => p[0]));
  let xmax = opts.xmax ?? Math.max(...all.map(p => p[0]));
  let ymin = opts.ymin ?? Math.min(...all.map(p => p[1]));
  let ymax = opts.ymax ?? Math.max(...all.map(p => p[1]));
  if (!all.length) { xmin = 0; xmax = 1; ymin = 0; ymax = 1; }
  if (!(xmax > xmin)) { xmax = xmin + 1; }
  if (!(ymax > ymin)) { const d = Math.abs(ymin) * 0.1 || 1; ymin -= d; ymax += d; }
  const sx = x => m.l + (x - xmin) / (xmax - xmin) * (W - m.l - m.r);
  const sy = y => H - m.b - (y - ymin) / (ymax - ymin) * (H - m.t - m.b);
  const axis = el('g', { class: 'axis' }, svg);
  for (const t of ticks(ymin, ymax)) {
    el('line', { x1: m.l, x2: W - m.r, y1: sy(t), y2: sy(t), class: 'gridline' }, axis);
    el('text', { x: m.l - 5, y: sy(t) + 4, 'text-anchor': 'end' }, axis).textContent = fmt(t);
  }
  for (const t of ticks(xmin, xmax, 6)) {
    el('text', { x: sx(t), y: H - m.b + 15, 'text-anchor': 'middle' }, axis).textContent = fmt(t);
  }
  el('line', { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }, axis);
  el('line', { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b }, axis);
  if (opts.xlabel) el('text', { x: W - m.r, y: H - 2, 'text-anchor': 'end' }, axis).textContent = opts.xlabel;
  const clip = v => Math.max(-1e4, Math.min(1e4, v));
  for (const s of series) {
    const pts = s.points.filter(p => p[1] !== null && isFinite(p[1]));
    if (pts.length > 1 || (pts.length === 1 && !s.dots)) {
      const d = pts.map((p, i) => (i ? 'L' : 'M') + clip(sx(p[0])).toFixed(1) + ',' + clip(sy(p[1])).toFixed(1)).join('');
      el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': s.width || 2, 'stroke-dasharray': s.dash || '', class: s.cls || 'line' }, svg);
    }
    if (s.dots) {
      for (const p of pts) el('circle', { cx: clip(sx(p[0])), cy: clip(sy(p[1])), r: s.r || 3, fill: s.color, class: 'pt' }, svg);
    }
  }
  return { sx, sy, xmin, xmax, ymin, ymax };
}

// palette gives the i-th run its colour.
export function palette(i) {
  return ['#2f6fde', '#e07b24', '#1f9d55', '#9b51e0', '#d23c3c', '#0fa3b1', '#8c6d1f'][i % 7];
}

// base64Bytes decodes the base64 of a Go []byte.
export function base64Bytes(s) {
  const bin = atob(s || '');
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// grayImage draws w×h values (bytes 0..255, or floats scaled by scale)
// as white on black into canvas, at its natural size.
export function grayImage(canvas, w, h, values, scale = 1) {
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = Math.max(0, Math.min(255, Math.round(values[i] * scale)));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// divergingImage draws signed values: blue below 0, white at 0, red above,
// full colour at ±limit.
export function divergingImage(canvas, w, h, values, limit) {
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const t = Math.max(-1, Math.min(1, values[i] / (limit || 1)));
    const [r, g, b] = t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t)] : [255 * (1 + t), 255 * (1 + t), 255];
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// className is class k's name: the model's class_names when it has them,
// else the digit k itself.
export function className(names, k) {
  return names ? names[k] : String(k);
}

// pictureImage draws a picture as the model sees it: shape (height, width,
// channels), values row-major in [0, 1]; grey for 1 channel, colour for 3
// or 4 (alpha ignored: the model reads it, the screen shows the colour).
export function pictureImage(canvas, shape, values) {
  const [h, w, c] = shape;
  if (c === 1) { grayImage(canvas, w, h, values, 255); return; }
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < 3; k++) img.data[4 * i + k] = Math.round(255 * values[c * i + k]);
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// digitTile makes a small captioned picture of a test picture; wrong
// answers are marked. d is {index, label, predicted, probability, pixels,
// label_name, predicted_name}: a model with class names gets them on two
// lines (the true class, then "→ read" when wrong), in a wider tile.
export function digitTile(d) {
  const wrong = d.label !== d.predicted;
  const named = d.label_name !== undefined;
  const div = document.createElement('div');
  div.className = 'digit' + (wrong ? ' wrong' : '') + (named ? ' named' : '');
  const c = document.createElement('canvas');
  grayImage(c, 28, 28, base64Bytes(d.pixels));
  div.append(c);
  const label = named ? d.label_name : d.label, read = named ? d.predicted_name : d.predicted;
  const caps = !wrong ? [`${read}`] : named ? [label, `→ ${read}`] : [`${label}→${read}`];
  for (const text of caps) {
    const cap = document.createElement('span');
    cap.textContent = text;
    div.append(cap);
  }
  div.title = `test picture #${d.index}: label ${label}, read ${read} (p=${d.probability.toFixed(3)})`;
  return div;
}

// heat maps a count in [0, max] to a blue.
export function heat(v, max) {
  const t = max > 0 ? Math.sqrt(v / max) : 0;
  return `rgb(${Math.round(255 - 208 * t)},${Math.round(255 - 144 * t)},${Math.round(255 - 33 * t)})`;
}
