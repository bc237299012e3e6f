// Learn: gradient descent along one weight of the current model, and
// goras's optimizers racing on a surface with a saddle and two minima.
import { api, onModelChange } from './app.js';
import { lineChart, el, palette } from './plot.js';

const $ = id => document.getElementById(id);
let presetsSet = false, paramsFor = null, surface = null, start = [1.8, 1.2], anim = 0;
const racers = [['sgd', 'SGD', 0.01], ['momentum', 'Momentum', 0.01], ['adagrad', 'AdaGrad', 0.1], ['rmsprop', 'RMSprop', 0.01], ['adam', 'Adam', 0.02]];

export function init() {
  $('learn-go').addEventListener('click', () => descend().catch(e => { $('learn-note').textContent = e.message; }));
  for (const b of document.querySelectorAll('.presets button')) {
    b.addEventListener('click', () => { $('learn-lr').value = b.dataset.lr; $('learn-go').click(); });
  }
  const body = $('race-table').tBodies[0];
  racers.forEach(([key, name, lr], i) => {
    const tr = body.insertRow();
    const sw = tr.insertCell();
    sw.textContent = '●';
    sw.style.color = palette(i);
    tr.insertCell().textContent = name;
    const inp = document.createElement('input');
    inp.type = 'number'; inp.step = 'any'; inp.min = '0'; inp.value = lr; inp.id = 'race-lr-' + key;
    tr.insertCell().append(inp);
    tr.insertCell().id = 'race-final-' + key;
  });
  $('race-go').addEventListener('click', () => race());
  $('race-canvas').addEventListener('click', e => {
    if (!surface) return;
    const c = $('race-canvas'), r = c.getBoundingClientRect();
    const fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
    start = [surface.x[0] + fx * (surface.x[1] - surface.x[0]), surface.y[1] - fy * (surface.y[1] - surface.y[0])];
    race();
  });
  $('learn-param').addEventListener('change', () => { presetsSet = false; descend(); });
  $('learn-index').addEventListener('change', () => { presetsSet = false; descend(); });
  onModelChange(() => { paramsFor = null; presetsSet = false; if (location.hash === '#learn') show(); });
}

export async function show() {
  const tasks = [];
  if (!surface) tasks.push(api('/api/learn/race/surface').then(s => { surface = s; $('race-formula').textContent = s.formula; return race(); }));
  if (paramsFor === null) tasks.push(loadParams());
  await Promise.all(tasks);
}

async function loadParams() {
  const m = $('current-model').value;
  if (!m) { $('learn-note').textContent = 'No model yet: train one on the Train page.'; return; }
  const r = await api('/api/learn/params?model=' + encodeURIComponent(m));
  paramsFor = m;
  const sel = $('learn-param');
  sel.replaceChildren(...r.params.filter(p => p.trainable).map(p => new Option(`${p.name} (${p.shape.join('×')})`, p.name)));
  const kernels = r.params.filter(p => p.name.endsWith('/kernel'));
  if (kernels.length) sel.value = kernels[kernels.length - 1].name; // the output layer: every weight matters
  await descend();
}

async function descend() {
  const p = new URLSearchParams({
    model: $('current-model').value, param: $('learn-param').value, index: $('learn-index').value,
    lr: $('learn-lr').value, steps: $('learn-steps').value, span: $('learn-span').value,
  });
  $('learn-note').textContent = 'computing the loss along the weight…';
  const r = await api('/api/learn/descent?' + p);
  const steps = r.steps.map(s => [s.w, s.loss]);
  const svg = $('learn-chart');
  const lo = r.trained - Number($('learn-span').value), hi = r.trained + Number($('learn-span').value);
  const sc = lineChart(svg, [
    { points: r.curve, color: '#9aa3b5', width: 2.5 },
    { points: steps.filter(s => s[0] >= lo && s[0] <= hi), color: '#d23c3c', width: 1.2, dots: true, r: 3.5 },
  ], { xmin: lo, xmax: hi, xlabel: `${r.param}[${r.index}]` });
  el('line', { x1: sc.sx(r.trained), x2: sc.sx(r.trained), y1: 10, y2: 270, stroke: '#1f9d55', 'stroke-dasharray': '3 3' }, svg);
  svg.dataset.steps = steps.length;
  setPresets(r.curvature);
  const last = r.steps[r.steps.length - 1];
  $('learn-note').textContent = r.diverged
    ? `Diverged: with learning rate ${r.learning_rate} each step jumps further out (${r.steps.length - 1} steps).`
    : `Grey: the real loss on 256 test digits as this weight alone changes (green: its trained value). Red: ${r.steps.length - 1} steps of w ← w − ${r.learning_rate}·dL/dw, ending at w = ${Number(last.w).toFixed(4)}, loss ${Number(last.loss).toFixed(4)}.`;
}

// setPresets offers rates for this weight's curve: 1/c is about the step
// that lands in the minimum of a parabola of curvature c, 2/c the largest
// that converges.
function setPresets(c) {
  if (!(c > 0)) return;
  const [small, right, large] = document.querySelectorAll('.presets button');
  const round = v => Number(v.toPrecision(2));
  small.dataset.lr = round(0.03 / c);
  right.dataset.lr = round(0.8 / c);
  large.dataset.lr = round(2.4 / c);
  for (const b of [small, right, large]) b.title = 'learning rate ' + b.dataset.lr;
  if (!presetsSet) { presetsSet = true; $('learn-lr').value = right.dataset.lr; descend(); }
}

// drawSurface paints the surface with banded colours (a contour map).
function drawSurface(ctx, W, H) {
  const s = surface, img = ctx.createImageData(s.columns, s.rows);
  const lo = Math.min(...s.values), hi = Math.max(...s.values);
  s.values.forEach((v, i) => {
    const t = Math.pow((v - lo) / (hi - lo), 0.45);
    const band = Math.floor(t * 24) % 2 ? 0.93 : 1;
    img.data.set([(40 + 200 * t) * band, (60 + 150 * (1 - Math.abs(t - 0.5) * 2)) * band, (160 - 120 * t) * band, 255], 4 * i);
  });
  const off = document.createElement('canvas');
  off.width = s.columns; off.height = s.rows;
  off.getContext('2d').putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, W, H);
}

async function race() {
  const p = new URLSearchParams({ x: start[0].toFixed(3), y: start[1].toFixed(3), steps: $('race-steps').value });
  for (const [key] of racers) p.set('lr_' + key, $('race-lr-' + key).value);
  const r = await api('/api/learn/race?' + p);
  const c = $('race-canvas'), ctx = c.getContext('2d'), W = c.width, H = c.height, s = surface;
  const px = ([x, y]) => [(x - s.x[0]) / (s.x[1] - s.x[0]) * W, (s.y[1] - y) / (s.y[1] - s.y[0]) * H];
  r.paths.forEach((path, i) => {
    const cell = $('race-final-' + racers[i][0]);
    cell.textContent = path.diverged ? 'diverged' : path.final_loss.toFixed(3);
  });
  cancelAnimationFrame(anim);
  let n = 0;
  const frame = () => {
    n = Math.min(r.steps, n + Math.max(1, Math.round(r.steps / 120)));
    drawSurface(ctx, W, H);
    r.paths.forEach((path, i) => {
      ctx.strokeStyle = palette(i);
      ctx.lineWidth = 2;
      ctx.beginPath();
      path.points.slice(0, n + 1).forEach((pt, k) => { const [x, y] = px(pt); k ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
      ctx.stroke();
      const end = px(path.points[Math.min(n, path.points.length - 1)]);
      ctx.fillStyle = palette(i);
      ctx.beginPath(); ctx.arc(end[0], end[1], 5, 0, 2 * Math.PI); ctx.fill();
    });
    const [sx, sy] = px(start);
    ctx.strokeStyle = '#fff'; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(sx, sy, 6, 0, 2 * Math.PI); ctx.stroke();
    if (n < r.steps) anim = requestAnimationFrame(frame);
  };
  frame();
}
