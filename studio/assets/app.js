// goras studio: the shell. It switches pages by the URL's hash, keeps the
// model picker in the header, and gives the pages a small API client.
import * as train from './train.js';
import * as draw from './draw.js';
import * as look from './look.js';
import * as learn from './learn.js';
import * as models from './models.js';

const pages = { train, draw, look, learn, models };

// api fetches an /api path and returns its JSON; an error answer throws an
// Error carrying the server's message.
export async function api(path, opts = {}) {
  const res = await fetch(path, opts);
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!res.ok) throw new Error((body && body.error) || `${res.status} ${res.statusText}`);
  return body;
}

// postJSON sends v as a JSON body.
export function postJSON(path, v) {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(v) });
}

// notice shows a message under the header ('' hides it).
export function notice(msg, isError = false) {
  const el = document.getElementById('notice');
  el.textContent = msg;
  el.classList.toggle('hidden', !msg);
  el.classList.toggle('error', isError);
}

// state shared by the pages: models is /api/models's list.
export const studio = { info: null, current: '', models: [], listeners: [] };

// currentModel is the current model's entry of /api/models (class_names,
// pictures: how it takes pictures), or null.
export function currentModel() {
  return studio.models.find(m => m.name === studio.current) || null;
}

// onModelChange calls f whenever the current model changes.
export function onModelChange(f) { studio.listeners.push(f); }

// refreshModels fills the header's picker from /api/models.
export async function refreshModels() {
  const [list, cur] = await Promise.all([api('/api/models'), api('/api/current')]);
  studio.models = list;
  const sel = document.getElementById('current-model');
  sel.replaceChildren();
  if (!cur.model) sel.append(new Option('(none yet)', ''));
  for (const m of list) sel.append(new Option(m.name, m.name));
  sel.value = cur.model;
  if (cur.model !== studio.current) {
    studio.current = cur.model;
    studio.listeners.forEach(f => f(cur.model));
  }
  return list;
}

async function pickModel(name) {
  try {
    await postJSON('/api/current', { model: name });
    notice('');
    await refreshModels();
  } catch (e) { notice(e.message, true); }
}

function route() {
  const name = (location.hash || '#train').slice(1);
  const page = pages[name] ? name : 'train';
  for (const p of Object.keys(pages)) {
    document.getElementById('page-' + p).classList.toggle('active', p === page);
  }
  for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('active', a.dataset.page === page);
  notice('');
  pages[page].show().catch(e => notice(e.message, true));
}

async function main() {
  studio.info = await api('/api/info');
  studio.current = studio.info.current;
  document.getElementById('current-model').addEventListener('change', e => pickModel(e.target.value));
  for (const p of Object.values(pages)) p.init();
  await refreshModels();
  window.addEventListener('hashchange', route);
  route();
}

main().catch(e => notice(e.message, true));
