// Look: the test pictures (MNIST's digits, or Fashion-MNIST's clothes for
// a model of their classes) with the model's answers, the confusion matrix
// (click a cell for its pictures), the surest mistakes, the first layer's
// weights. Classes are named when the model names them.
import { api, onModelChange } from './app.js';
import { className, digitTile, divergingImage, heat } from './plot.js';

const $ = id => document.getElementById(id);
const PAGE = 100;
let offset = 0, total = 0, stale = true;

const q = extra => {
  const m = document.getElementById('current-model').value;
  const p = new URLSearchParams(extra);
  if (m) p.set('model', m);
  return p.toString();
};

export function init() {
  $('look-prev').addEventListener('click', () => page(-PAGE));
  $('look-next').addEventListener('click', () => page(PAGE));
  onModelChange(() => { stale = true; if (location.hash === '#look') show(); });
}

export async function show() {
  if (!stale) return;
  stale = false;
  // Nothing of the model before stays on the page.
  for (const id of ['look-accuracy', 'cell-title', 'look-range']) $(id).textContent = '';
  for (const id of ['cell-digits', 'look-grid', 'look-mistakes']) $(id).replaceChildren();
  $('look-confusion').textContent = 'predicting the test set…';
  // The weights need no test set: they show even when the rest cannot.
  const w = weights();
  try {
    await Promise.all([confusion(), grid(), mistakes(), w]);
  } catch (e) {
    stale = true;
    $('look-confusion').textContent = '';
    throw e;
  }
}

function page(d) {
  offset = Math.max(0, Math.min(total - 1, offset + d));
  grid();
}

async function grid() {
  const r = await api('/api/look/digits?' + q({ offset, count: PAGE }));
  total = r.total;
  $('look-grid-title').textContent = r.test_set === 'fashion_mnist' ? 'Fashion-MNIST test pictures' : 'Test digits';
  $('look-range').textContent = `#${offset}–${offset + r.digits.length - 1} of ${r.total} (${r.errors} wrong in all)`;
  $('look-grid').replaceChildren(...r.digits.map(digitTile));
}

async function confusion() {
  const r = await api('/api/look/confusion?' + q({}));
  const names = r.class_names, name = k => className(names, k);
  $('look-accuracy').textContent = `test accuracy ${(100 * r.accuracy).toFixed(2)} % of ${r.total}`;
  let max = 0, offMax = 0;
  r.counts.forEach((row, t) => row.forEach((v, p) => { max = Math.max(max, v); if (t !== p) offMax = Math.max(offMax, v); }));
  const table = document.createElement('table');
  table.className = 'confusion' + (names ? ' named' : '');
  const head = table.insertRow();
  head.append(document.createElement('th'));
  for (let p = 0; p < r.classes; p++) {
    const th = document.createElement('th');
    th.className = 'col';
    const span = document.createElement('span');
    span.textContent = name(p);
    th.append(span);
    head.append(th);
  }
  r.counts.forEach((row, t) => {
    const tr = table.insertRow();
    const th = document.createElement('th'); th.className = 'row'; th.textContent = name(t); tr.append(th);
    row.forEach((v, p) => {
      const td = tr.insertCell();
      td.textContent = v || '';
      td.dataset.true = t; td.dataset.pred = p;
      // Off-diagonal cells get their own scale, so that mistakes show.
      td.style.background = t === p ? heat(v, max) : (v ? `rgba(210,60,60,${0.15 + 0.85 * Math.sqrt(v / offMax)})` : '#fff');
      td.title = `true ${name(t)}, read ${name(p)}: ${v}`;
      td.addEventListener('click', () => cell(t, p, td, name));
    });
  });
  $('look-confusion').replaceChildren(table);
}

async function cell(t, p, td, name) {
  for (const c of document.querySelectorAll('table.confusion td.sel')) c.classList.remove('sel');
  td.classList.add('sel');
  const r = await api('/api/look/cell?' + q({ true: t, pred: p, limit: 60 }));
  $('cell-title').textContent = `true ${name(t)}, read as ${name(p)}: ${r.count} picture${r.count === 1 ? '' : 's'}` + (r.count > r.digits.length ? `, surest ${r.digits.length} shown` : '');
  $('cell-digits').replaceChildren(...r.digits.map(digitTile));
}

async function mistakes() {
  const r = await api('/api/look/mistakes?' + q({ count: 32 }));
  $('look-mistakes').replaceChildren(...r.digits.map(d => {
    const tile = digitTile(d);
    const pct = ` ${(100 * d.probability).toFixed(0)}%`;
    if (d.label_name === undefined) tile.querySelector('span:last-of-type').textContent += pct;
    else { const s = document.createElement('span'); s.textContent = pct; tile.append(s); } // named: a line of its own
    return tile;
  }));
}

async function weights() {
  let r;
  try { r = await api('/api/look/weights?' + q({})); } catch (e) { $('look-weights-title').textContent = e.message; return; }
  const channel = r.shape.length === 4 && r.shape[2] > 1 ? ', first input channel' : '';
  $('look-weights-title').textContent = `${r.layer} (${r.class_name}), kernel ${r.shape.join('×')}${channel}: blue negative, red positive`;
  $('look-weights').replaceChildren(...r.images.map((img, i) => {
    const div = document.createElement('div');
    div.className = 'digit kernel';
    const c = document.createElement('canvas');
    divergingImage(c, img.width, img.height, img.values, r.limit);
    const cap = document.createElement('span');
    cap.textContent = i;
    div.append(c, cap);
    return div;
  }));
}
