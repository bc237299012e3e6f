// Train: start runs, watch their curves live (server-sent events), compare
// runs side by side.
import { api, postJSON, notice, studio, refreshModels } from './app.js';
import { lineChart, palette } from './plot.js';

const $ = id => document.getElementById(id);
const selected = new Set();   // run names ticked for the charts
const data = new Map();       // name -> {epochs: [{epoch, logs}], batches: [{x, logs}], state, source}
let runsTimer = null;

export function init() {
  const info = studio.info;
  for (const n of info.networks) $('train-network').append(new Option(n.name, n.name));
  $('train-optimizer').append(new Option("network's", ''));
  for (const o of info.optimizers) $('train-optimizer').append(new Option(o, o));
  $('train-loss').append(new Option("network's", ''));
  for (const l of info.losses) $('train-loss').append(new Option(l, l));
  $('train-network').value = 'mlp';
  $('train-form').addEventListener('submit', e => { e.preventDefault(); start(); });
}

export async function show() {
  await refreshRuns();
  clearInterval(runsTimer);
  runsTimer = setInterval(() => {
    if (location.hash === '#train' || location.hash === '') refreshRuns().catch(() => {});
  }, 4000);
}

// settings reads the form; empty fields are left to the network's recipe.
function settings() {
  const num = id => ($(id).value === '' ? undefined : Number($(id).value));
  const s = {
    network: $('train-network').value,
    optimizer: $('train-optimizer').value || undefined,
    learning_rate: num('train-lr'),
    loss: $('train-loss').value || undefined,
    epochs: num('train-epochs'),
    batch_size: num('train-batch'),
    train_size: num('train-size'),
    validation_size: num('train-val'),
    seed: num('train-seed'),
    name: $('train-name').value || undefined,
  };
  if ($('train-dropout-on').checked) s.dropout = num('train-dropout');
  if ($('train-l2-on').checked) s.l2 = num('train-l2');
  return s;
}

async function start() {
  $('train-start').disabled = true;
  try {
    const run = await postJSON('/api/runs', settings());
    notice('');
    $('train-name').value = '';
    selected.add(run.name);
    await refreshRuns();
  } catch (e) {
    notice(e.message, true);
  } finally {
    $('train-start').disabled = false;
  }
}

async function stop(name) {
  try { await api(`/api/runs/${encodeURIComponent(name)}/stop`, { method: 'POST' }); } catch (e) { notice(e.message, true); }
  await refreshRuns();
}

const f4 = v => (v === undefined || v === null ? '' : Number(v).toFixed(4));

// refreshRuns redraws the runs table and (re)loads the ticked runs.
async function refreshRuns() {
  const runs = await api('/api/runs');
  if (selected.size === 0 && runs.length) selected.add(runs[0].name);
  const body = $('runs-table').tBodies[0];
  body.replaceChildren();
  runs.forEach(r => {
    const tr = body.insertRow();
    tr.dataset.run = r.name;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = selected.has(r.name);
    box.addEventListener('change', () => { box.checked ? selected.add(r.name) : selected.delete(r.name); follow(runs); });
    tr.insertCell().append(box);
    tr.insertCell().textContent = r.name;
    const st = tr.insertCell();
    st.textContent = r.state + (r.error ? ': ' + r.error : '');
    st.className = 'state-' + r.state;
    tr.insertCell().textContent = r.epochs;
    for (const k of ['loss', 'val_loss', 'val_accuracy']) {
      const c = tr.insertCell(); c.className = 'num'; c.textContent = f4(r.last[k]);
    }
    const act = tr.insertCell();
    if (r.state === 'running') {
      const b = document.createElement('button');
      b.className = 'small'; b.textContent = 'Stop';
      b.addEventListener('click', () => stop(r.name));
      act.append(b);
    }
  });
  await follow(runs);
}

// follow loads every ticked run: a finished one once, a running one through
// its event stream.
async function follow(runs) {
  for (const [name, d] of data) {
    if (!selected.has(name)) { if (d.es) d.es.close(); data.delete(name); }
  }
  for (const r of runs) {
    if (!selected.has(r.name)) continue;
    const d = data.get(r.name);
    if (r.state === 'running' && (!d || !d.es)) listen(r.name);
    else if (!d || (d.state !== r.state && !d.es) || d.count !== r.epochs && !d.es) await load(r);
  }
  draw();
}

async function load(r) {
  const full = await api(`/api/runs/${encodeURIComponent(r.name)}`);
  const h = full.history;
  const epochs = h.epoch.map((e, i) => ({ epoch: e, logs: Object.fromEntries(Object.entries(h.metrics).map(([k, v]) => [k, v[i]])) }));
  data.set(r.name, { epochs, batches: full.batches || [], state: full.state, count: r.epochs });
}

function listen(name) {
  const d = { epochs: [], batches: [], state: 'running', count: 0 };
  data.set(name, d);
  d.es = new EventSource(`/api/runs/${encodeURIComponent(name)}/events`);
  const on = (ev, f) => d.es.addEventListener(ev, e => { f(JSON.parse(e.data)); draw(); });
  on('reset', () => { d.epochs = []; d.batches = []; });
  on('epoch', e => { d.epochs.push(e); d.count = d.epochs.length; });
  on('batch', b => d.batches.push(b));
  on('state', s => { d.state = s.state; d.progress = s; });
  on('end', () => { d.es.close(); d.es = null; refreshModels().catch(() => {}); refreshRuns().catch(() => {}); });
}

// draw redraws both charts from every ticked run.
function draw() {
  const names = [...data.keys()].sort();
  const legend = $('chart-legend');
  legend.replaceChildren();
  let total = 0;
  for (const metric of ['loss', 'accuracy']) {
    const series = [];
    names.forEach((name, i) => {
      const d = data.get(name), color = palette(i);
      const pts = key => d.epochs.map(e => [e.epoch + 1, e.logs[key]]).filter(p => p[1] !== undefined);
      const live = d.batches.map(b => [b.x, b.logs[metric]]).filter(p => p[1] !== undefined);
      if (live.length) series.push({ points: live, color, width: 1, cls: 'batch' }); // the running means within epochs
      series.push({ points: pts(metric), color, dots: true });
      series.push({ points: pts('val_' + metric), color, dash: '5 4', dots: true, r: 2.5 });
      total += live.length + d.epochs.length;
    });
    const svg = $('chart-' + metric);
    lineChart(svg, series, { xmin: 0, xlabel: 'epoch' });
    svg.dataset.points = total;
  }
  names.forEach((name, i) => {
    const s = document.createElement('span');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = palette(i);
    s.append(sw, `${name} — thin: running mean over the epoch's batches, dots: train at each epoch's end, dashed: validation`);
    legend.append(s);
  });
  const live = names.map(n => data.get(n)).find(d => d.state === 'running' && d.progress);
  $('progress').classList.toggle('hidden', !live);
  if (live) {
    $('progress-epoch').textContent = live.progress.epoch_line || '';
    $('progress-line').textContent = live.progress.progress || '';
  }
}
