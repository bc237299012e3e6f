// Draw: a canvas to draw a digit on; while drawing, the class
// probabilities, the 28×28 the model sees and every layer's feature maps.
import { notice, onModelChange } from './app.js';
import { base64Bytes, grayImage } from './plot.js';

const $ = id => document.getElementById(id);
let busy = false, dirty = false, inked = false;

export function init() {
  const c = $('draw-canvas');
  const ctx = c.getContext('2d');
  clear();
  let drawing = false, last = null;
  const pos = e => {
    const r = c.getBoundingClientRect();
    return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height];
  };
  c.addEventListener('pointerdown', e => {
    drawing = true; last = pos(e);
    c.setPointerCapture(e.pointerId);
    stroke(ctx, last, last);
  });
  c.addEventListener('pointermove', e => {
    if (!drawing) return;
    const p = pos(e);
    stroke(ctx, last, p);
    last = p;
  });
  const up = () => { if (drawing) { drawing = false; send(); } };
  c.addEventListener('pointerup', up);
  c.addEventListener('pointercancel', up);
  $('draw-clear').addEventListener('click', clear);
  onModelChange(() => { if (inked) send(); });
}

export async function show() {}

function stroke(ctx, a, b) {
  ctx.lineWidth = 20;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#000';
  ctx.beginPath();
  ctx.moveTo(a[0], a[1]);
  ctx.lineTo(b[0], b[1]);
  ctx.stroke();
  inked = true;
  send();
}

function clear() {
  const c = $('draw-canvas');
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  inked = false;
  $('draw-class').textContent = '–';
  $('draw-bars').replaceChildren();
  $('draw-maps').replaceChildren();
  grayImage($('draw-seen'), 28, 28, new Uint8Array(784));
}

// send posts the canvas as PNG to /api/draw, one request at a time: what
// is drawn meanwhile goes in the next.
async function send() {
  if (!inked) return;
  if (busy) { dirty = true; return; }
  busy = true; dirty = false;
  try {
    const blob = await new Promise(res => $('draw-canvas').toBlob(res, 'image/png'));
    const r = await fetch('/api/draw', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: blob });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error);
    if (inked) render(body);
    notice('');
  } catch (e) {
    notice(e.message, true);
  } finally {
    busy = false;
    if (dirty) send();
  }
}

function render(res) {
  $('draw-class').textContent = res.class;
  $('draw-class').dataset.model = res.model;
  const bars = $('draw-bars');
  bars.replaceChildren();
  res.probabilities.forEach((p, k) => {
    const lab = document.createElement('span');
    lab.textContent = k;
    const bar = document.createElement('div');
    bar.className = 'bar' + (k === res.class ? ' top' : '');
    const fill = document.createElement('div');
    fill.style.width = (100 * p).toFixed(1) + '%';
    bar.append(fill);
    const val = document.createElement('span');
    val.className = 'prob';
    val.textContent = p.toFixed(3);
    bars.append(lab, bar, val);
  });
  grayImage($('draw-seen'), 28, 28, res.input, 255);
  const maps = $('draw-maps');
  maps.replaceChildren();
  maps.className = 'maps';
  for (const l of res.layers) {
    const h = document.createElement('h3');
    h.textContent = `${l.name} (${l.class_name}) ${l.height}×${l.width}×${l.all_channels}` + (l.channels < l.all_channels ? `, first ${l.channels} shown` : '');
    const strip = document.createElement('div');
    strip.className = 'strip';
    const bytes = base64Bytes(l.maps);
    const size = Math.max(28, Math.min(84, Math.round(560 / Math.max(l.channels, 1))));
    for (let ch = 0; ch < l.channels; ch++) {
      const c = document.createElement('canvas');
      grayImage(c, l.width, l.height, bytes.subarray(ch * l.height * l.width, (ch + 1) * l.height * l.width));
      c.style.width = c.style.height = size + 'px';
      strip.append(c);
    }
    maps.append(h, strip);
  }
}
