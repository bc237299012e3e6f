// Draw: talk to the model. Draw on a canvas (a model of 28×28 grey
// pictures) or upload a picture (any model of pictures); the page shows
// the class probabilities, named when the model names its classes, the
// picture as the model sees it and every layer's feature maps.
import { currentModel, notice, onModelChange } from './app.js';
import { base64Bytes, className, grayImage, pictureImage } from './plot.js';

const $ = id => document.getElementById(id);
let busy = false, dirty = false, inked = false;
let picture = null;             // the uploaded File, while it is what the model reads
let paper = '#fff', ink = '#000'; // a digit model's; light on dark for other grey pictures

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
    if (picture) clear();
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
  $('draw-file').addEventListener('change', () => {
    const f = $('draw-file').files[0];
    if (f) upload(f);
  });
  onModelChange(() => { configure(); if (inked || picture) send(); });
}

export async function show() { configure(); }

// configure offers what makes sense for the current model: the canvas for
// 28×28 grey pictures, uploading for every model of pictures.
function configure() {
  const m = currentModel();
  const p = m && m.pictures;
  const canDraw = !!(p && p.draw);
  $('draw-pad').classList.toggle('hidden', !canDraw);
  $('draw-title').textContent = !p ? 'Try the model' : p.digit ? 'Draw a digit' : canDraw ? 'Draw a picture' : 'Try a picture';
  const why = $('draw-why');
  why.classList.toggle('hidden', canDraw);
  if (!m) why.textContent = 'No model yet: train one on the Train page or upload one on the Models page.';
  else if (!p) why.textContent = m.pictures_error || m.error;
  else why.textContent = `This model reads ${p.height}×${p.width} ${p.color_mode === 'grayscale' ? 'grey' : p.color_mode.toUpperCase()} pictures; ` +
    'drawing is for 28×28 grey ones. Upload a picture: it is resized to the model\'s input, as goras predict does.';
  $('draw-upload').classList.toggle('hidden', !p);
  // A model of grey pictures other than digits reads them as its data
  // set shows them: Fashion-MNIST's are light clothes on black.
  const [pp, ii] = p && !p.digit ? ['#000', '#fff'] : ['#fff', '#000'];
  $('draw-hint').textContent = p && !p.digit ? 'draw light on dark, as the model\'s pictures are' : 'mouse, pen or finger';
  if (pp !== paper) { paper = pp; ink = ii; if (!picture) clear(); }
  if (!canDraw && !picture) clear(); // no answer about a drawing no longer shown
}

function stroke(ctx, a, b) {
  ctx.lineWidth = 20;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = ink;
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
  ctx.fillStyle = paper;
  ctx.fillRect(0, 0, c.width, c.height);
  inked = false;
  picture = null;
  $('draw-picture').classList.add('hidden');
  $('draw-file-name').textContent = 'PNG, JPEG or GIF';
  $('draw-class').textContent = '–';
  $('draw-bars').replaceChildren();
  $('draw-maps').replaceChildren();
  $('draw-seen-size').textContent = '';
  grayImage($('draw-seen'), 28, 28, new Uint8Array(784));
}

// upload makes an uploaded picture what the model reads, until the next
// stroke or Clear.
function upload(f) {
  clear();
  picture = f;
  const img = $('draw-picture');
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(f);
  img.classList.remove('hidden');
  $('draw-file-name').textContent = f.name;
  $('draw-file').value = '';
  send();
}

// send posts the picture (the canvas as PNG, or the uploaded file) to
// /api/draw, one request at a time: what is drawn meanwhile goes in the
// next.
async function send() {
  if (!inked && !picture) return;
  if (busy) { dirty = true; return; }
  busy = true; dirty = false;
  try {
    const sent = picture;
    const blob = sent || await new Promise(res => $('draw-canvas').toBlob(res, 'image/png'));
    const q = sent ? '?file=' + encodeURIComponent(sent.name) : '';
    const r = await fetch('/api/draw' + q, { method: 'POST', headers: { 'Content-Type': blob.type || 'application/octet-stream' }, body: blob });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error);
    if (picture === sent && (inked || sent)) render(body);
    notice('');
  } catch (e) {
    notice(e.message, true);
  } finally {
    busy = false;
    if (dirty) send();
  }
}

function render(res) {
  const names = res.class_names;
  $('draw-class').textContent = className(names, res.class);
  $('draw-class').dataset.model = res.model;
  $('draw-class').dataset.class = res.class;
  const bars = $('draw-bars');
  bars.replaceChildren();
  res.probabilities.forEach((p, k) => {
    const lab = document.createElement('span');
    lab.className = 'label';
    lab.textContent = className(names, k);
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
  pictureImage($('draw-seen'), res.input_shape, res.input);
  $('draw-seen-size').textContent = res.input_shape.join('×');
  renderMaps(res.layers);
}

function renderMaps(layers) {
  const maps = $('draw-maps');
  maps.replaceChildren();
  maps.className = 'maps';
  for (const l of layers) {
    const h = document.createElement('h3');
    h.textContent = `${l.name} (${l.class_name}) ${l.height}×${l.width}×${l.all_channels}` + (l.channels < l.all_channels ? `, first ${l.channels} shown` : '');
    const strip = document.createElement('div');
    strip.className = 'strip';
    const bytes = base64Bytes(l.maps);
    const size = Math.max(28, Math.min(84, Math.round(560 / Math.max(l.channels, 1))));
    for (let ch = 0; ch < l.channels; ch++) {
      const c = document.createElement('canvas');
      grayImage(c, l.width, l.height, bytes.subarray(ch * l.height * l.width, (ch + 1) * l.height * l.width));
      c.style.width = size + 'px';
      c.style.height = Math.round(size * l.height / l.width) + 'px';
      strip.append(c);
    }
    maps.append(h, strip);
  }
}
