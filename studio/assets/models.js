// Models: list, use, inspect (summary and graph), download and upload.
import { api, notice, refreshModels, studio, postJSON } from './app.js';
import { el } from './plot.js';

const $ = id => document.getElementById(id);

export function init() {
  $('upload-limit').textContent = (studio.info.max_upload / (1 << 20)) + ' MB';
  $('upload-form').addEventListener('submit', e => { e.preventDefault(); upload(); });
  $('upload-file').addEventListener('change', () => {
    const f = $('upload-file').files[0];
    if (f && !$('upload-name').value) $('upload-name').value = f.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '-');
  });
}

export async function show() {
  const list = await refreshModels();
  const body = $('models-table').tBodies[0];
  body.replaceChildren();
  for (const m of list) {
    const tr = body.insertRow();
    tr.dataset.model = m.name;
    tr.insertCell().textContent = m.name + (m.current ? ' (current)' : '');
    tr.insertCell().textContent = m.source;
    const cells = m.error ? [m.error, '', '', ''] :
      [m.params.toLocaleString(), '(' + m.input_shape.join(', ') + ')', classes(m), (m.size / 1024).toFixed(0) + ' KB'];
    for (const c of cells) tr.insertCell().textContent = c;
    tr.cells[4].className = 'classes';
    if (m.class_names) tr.cells[4].title = m.class_names.join(', ');
    if (m.pictures_error) tr.cells[3].title = m.pictures_error;
    const act = tr.insertCell();
    const btn = (label, f) => { const b = document.createElement('button'); b.className = 'small ghost'; b.textContent = label; b.addEventListener('click', f); act.append(b, ' '); };
    btn('Use', async () => { try { await postJSON('/api/current', { model: m.name }); await show(); } catch (e) { notice(e.message, true); } });
    btn('Inspect', () => inspect(m.name).catch(e => notice(e.message, true)));
    const a = document.createElement('a');
    a.href = `/api/models/${encodeURIComponent(m.name)}/file`;
    a.textContent = 'Download';
    a.setAttribute('download', m.name + '.safetensors');
    act.append(a);
  }
  if (list.length && !$('inspect-name').textContent) await inspect(list.find(m => m.current)?.name || list[0].name);
}

// classes says what a model's outputs are: its class names (the first
// few), or for a model without names how many classes it has.
function classes(m) {
  const n = m.output_shape[m.output_shape.length - 1];
  if (!m.class_names) return m.pictures && m.pictures.digit ? `${n}: digits` : `${n}`;
  const shown = m.class_names.slice(0, 3).join(', ');
  return `${n}: ${shown}${n > 3 ? ', …' : ''}`;
}

async function upload() {
  const f = $('upload-file').files[0];
  if (!f) { notice('Choose a .safetensors or .onnx file first.', true); return; }
  const name = $('upload-name').value;
  try {
    await api(`/api/models?name=${encodeURIComponent(name)}&filename=${encodeURIComponent(f.name)}`,
      { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: f });
    notice(`Uploaded ${name}.`);
    $('upload-form').reset();
    await show();
  } catch (e) { notice(e.message, true); }
}

async function inspect(name) {
  const r = await api(`/api/models/${encodeURIComponent(name)}`);
  $('inspect-name').textContent = name;
  $('inspect-summary').textContent = r.summary;
  drawGraph($('inspect-graph'), r.graph);
}

// drawGraph lays the layer calls out in rows by depth (an input is depth
// 0; a call is one deeper than its deepest input), with an arrow per edge.
function drawGraph(svg, nodes) {
  svg.replaceChildren();
  const depth = [], rows = [];
  for (const n of nodes) {
    depth[n.id] = n.inputs.length ? 1 + Math.max(...n.inputs.map(i => depth[i])) : 0;
    (rows[depth[n.id]] ||= []).push(n);
  }
  const BW = 200, BH = 36, GX = 20, GY = 22;
  const width = Math.max(...rows.map(r => r.length)) * (BW + GX) + GX;
  const pos = [];
  rows.forEach((row, d) => row.forEach((n, i) => {
    const x = (width - row.length * (BW + GX) + GX) / 2 + i * (BW + GX);
    pos[n.id] = [x, GY + d * (BH + GY)];
  }));
  const height = GY + rows.length * (BH + GY);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.style.maxWidth = width + 'px'; // boxes keep their size; a wide graph shrinks
  for (const n of nodes) {
    for (const i of n.inputs) {
      el('line', { x1: pos[i][0] + BW / 2, y1: pos[i][1] + BH, x2: pos[n.id][0] + BW / 2, y2: pos[n.id][1] }, svg);
    }
  }
  for (const n of nodes) {
    const [x, y] = pos[n.id];
    const g = el('g', { class: 'node' }, svg);
    el('rect', { x, y, width: BW, height: BH, rx: 5 }, g);
    el('text', { x: x + 8, y: y + 15 }, g).textContent = `${n.name || 'input'} · ${n.class_name}`;
    el('text', { x: x + 8, y: y + 29, class: 'shape' }, g).textContent = `(${(n.shape || []).join(', ')})` + (n.params ? ` · ${n.params.toLocaleString()} params` : '');
  }
}
