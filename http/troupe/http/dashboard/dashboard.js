'use strict';
// troupe operator dashboard. Reads api/v1/stats once in full, then every
// second with ?since=<last sample> and appends; draws plain SVG charts of the
// last 15 minutes. No libraries, no external assets. The DOM hooks (ids,
// classes, data-* attributes) follow the stats contract of issue 18.

const API = 'api/v1/stats';
const WINDOW_MS = 15 * 60 * 1000;
const REFRESH_MS = 1000;
const TOP_ROUTES = 8;
const MAX_EVENTS = 200;
const NODE_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const LINE_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#79706e'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 3', '12 4'];
const SVG_W = 600, SVG_H = 170;
const PAD = { l: 52, r: 10, t: 10, b: 20 };

const state = {
  view: null,             // the latest response
  history: new Map(),     // node -> {t: [ms], cols: Map(key -> values)}
  routeService: new Map(),
  events: [],             // ascending by t, deduplicated
  eventKeys: new Set(),
  eventSeq: 0,            // counts the events added
  eventsDrawn: -1,
  since: null,
  hover: null,            // the last mouse position over a chart
};

const $ = (sel) => document.querySelector(sel);

// ---- formatting -------------------------------------------------------------

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function num(v) {
  if (v == null || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return a === 0 ? '0' : String(+v.toPrecision(3));
}

function bytes(v) {
  if (v == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${+v.toPrecision(3)} ${units[i]}`;
}

const ms = (v) => (v == null ? '—' : `${num(v)} ms`);
const pct = (v) => (v == null ? '—' : `${+(v * 100).toPrecision(3)}%`);
const clock = (t) => new Date(t).toTimeString().slice(0, 8);

function duration(s) {
  if (s == null) return '—';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${+(s / 3600).toFixed(1)} h`;
  return `${+(s / 86400).toFixed(1)} d`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

// ---- the sample store -------------------------------------------------------

function nodeColor(name) {
  const i = (state.view?.nodes || []).findIndex((n) => n.name === name);
  return i < 0 ? '#999999' : NODE_COLORS[i % NODE_COLORS.length];
}

// The arrays of one node's stats, flattened to keys like "rps\t<route>".
function columns(s) {
  const cols = [['cpu', s.cpu], ['rss', s.rss_bytes], ['actors', s.actors],
    ['fanout_backlog', s.fanout_backlog], ['commit_batch', s.commit_batch],
    ['fsync_ms', s.fsync_ms], ['cache_hit_rate', s.cache_hit_rate]];
  for (const [route, r] of Object.entries(s.routes || {})) {
    state.routeService.set(route, r.service);
    for (const m of ['rps', 'errors', 'p50_ms', 'p99_ms']) cols.push([`${m}\t${route}`, r[m]]);
  }
  for (const [type, v] of Object.entries(s.entities || {})) cols.push([`entities\t${type}`, v]);
  for (const [svc, v] of Object.entries(s.replication_lag || {})) cols.push([`lag\t${svc}`, v]);
  return cols.filter(([, v]) => Array.isArray(v));
}

// Appends the samples newer than what the node has; keeps columns aligned.
function append(name, s) {
  let h = state.history.get(name);
  if (!h) state.history.set(name, (h = { t: [], cols: new Map() }));
  const last = h.t.length ? h.t[h.t.length - 1] : -Infinity;
  const fresh = (s.t || []).flatMap((t, i) => (t > last ? [i] : []));
  if (!fresh.length) return;
  const before = h.t.length;
  for (const i of fresh) h.t.push(s.t[i]);
  const seen = new Set();
  for (const [key, vals] of columns(s)) {
    let col = h.cols.get(key);
    if (!col) h.cols.set(key, (col = new Array(before).fill(null)));
    for (const i of fresh) col.push(vals[i] ?? null);
    seen.add(key);
  }
  for (const [key, col] of h.cols) if (!seen.has(key)) for (const _ of fresh) col.push(null);
}

// Drops the samples older than `from`, and columns left without values.
function trim(h, from) {
  let k = 0;
  while (k < h.t.length && h.t[k] < from) k++;
  if (!k) return;
  h.t.splice(0, k);
  for (const [key, col] of h.cols) {
    col.splice(0, k);
    if (col.every((v) => v == null)) h.cols.delete(key);
  }
}

const eventKey = (e) => `${e.t}\t${e.node}\t${e.kind}\t${e.text}`;

function addEvents(list) {
  for (const e of list || []) {
    const key = eventKey(e);
    if (state.eventKeys.has(key)) continue;
    state.eventKeys.add(key);
    state.events.push(e);
    state.eventSeq++;
  }
  state.events.sort((a, b) => a.t - b.t);
  while (state.events.length > MAX_EVENTS) state.eventKeys.delete(eventKey(state.events.shift()));
}

function ingest(d) {
  d.now ??= Date.now();
  state.view = d;
  const lasts = [];
  for (const n of d.nodes || []) {
    if (!n.stats) continue;
    append(n.name, n.stats);
    const h = state.history.get(n.name);
    if (h.t.length) lasts.push(h.t[h.t.length - 1]);
    if (!d.events) addEvents(n.stats.events);
  }
  for (const [name, h] of state.history) {
    trim(h, d.now - WINDOW_MS);
    if (!h.t.length) state.history.delete(name);
  }
  // Asks for what is newer than the node that is furthest behind; append()
  // drops what the others already have.
  if (lasts.length) state.since = Math.min(...lasts);
  addEvents(d.events);
}

// ---- series -----------------------------------------------------------------

// Names of the keys "<prefix>\t<name>" over all nodes.
function keyNames(prefix) {
  const names = new Set();
  for (const h of state.history.values())
    for (const key of h.cols.keys())
      if (key.startsWith(`${prefix}\t`)) names.add(key.slice(prefix.length + 1));
  return [...names];
}

// One key combined over all nodes per second with `op` (null: no value).
function combined(keys, op) {
  const bySecond = new Map();
  for (const h of state.history.values())
    for (const key of keys) {
      const col = h.cols.get(key);
      if (!col) continue;
      h.t.forEach((t, i) => {
        const s = Math.round(t / 1000) * 1000, v = col[i], old = bySecond.get(s) ?? null;
        bySecond.set(s, v == null ? old : old == null ? v : op(old, v));
      });
    }
  return [...bySecond].sort((a, b) => a[0] - b[0]);
}

const sum = (a, b) => a + b;
const total = (pts) => pts.reduce((a, [, v]) => a + (v ?? 0), 0);

// One node's column as points, scaled.
function nodePoints(h, key, scale = 1) {
  const col = h.cols.get(key);
  return col && h.t.map((t, i) => [t, col[i] == null ? null : col[i] * scale]);
}

// One line per node for `key`.
function perNode(key, scale) {
  const lines = [];
  for (const [name, h] of state.history) {
    const pts = nodePoints(h, key, scale);
    if (pts) lines.push({ label: name, color: nodeColor(name), pts });
  }
  return lines;
}

// Routes by traffic over the window, busiest first.
function routesByTraffic() {
  return keyNames('rps')
    .map((r) => [r, total(combined([`rps\t${r}`], sum))])
    .sort((a, b) => b[1] - a[1])
    .map(([r]) => r);
}

function routeLines(routes, metric, op, colorOf) {
  return routes.map((r) => ({
    label: r, color: colorOf(r), pts: combined([`${metric}\t${r}`], op),
    title: `${state.routeService.get(r) || '?'} ${r}`,
  }));
}

function errorLines(all, colorOf) {
  const keys = all.map((r) => `errors\t${r}`);
  const lines = [{ label: 'all routes', color: '#333333', pts: combined(keys, sum) }];
  const failing = all.map((r) => [r, total(combined([`errors\t${r}`], sum))])
    .filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, TOP_ROUTES - 1);
  return lines.concat(routeLines(failing.map(([r]) => r), 'errors', sum, colorOf));
}

function entityLines() {
  const types = [...keyNames('entities').sort(), 'actors'];
  const lines = [];
  for (const [name, h] of state.history)
    types.forEach((type, i) => {
      const pts = nodePoints(h, type === 'actors' ? 'actors' : `entities\t${type}`);
      const dash = DASHES[i % DASHES.length];
      if (pts) lines.push({ label: `${name} ${type}`, color: nodeColor(name), dash, pts });
    });
  return lines;
}

function lagLines() {
  return keyNames('lag').sort().map((svc, i) => ({
    label: svc, color: LINE_COLORS[i % LINE_COLORS.length], pts: combined([`lag\t${svc}`], Math.max),
  }));
}

// ---- charts -----------------------------------------------------------------

function niceMax(max) {
  if (!(max > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * mag >= max) return step * mag;
  return 10 * mag;
}

function pathOf(pts, x, y, t0) {
  let d = '', run = 0;
  for (const [t, v] of pts) {
    if (v == null || t < t0) { if (run === 1) d += 'h0'; run = 0; continue; }
    d += `${run ? 'L' : 'M'}${x(t).toFixed(1)} ${y(v).toFixed(1)}`;
    run++;
  }
  return run === 1 ? `${d}h0` : d;
}

const svgText = (x, y, anchor, text, cls = 'axis') =>
  `<text class="${cls}" x="${x}" y="${y}" text-anchor="${anchor}">${esc(text)}</text>`;

// Grid lines with the value at 0, half and `top`; the time span below.
function axes(x, y, top, t0, fmt) {
  let s = '';
  for (const f of [0, 0.5, 1]) {
    const at = y(top * f);
    s += `<line class="grid" x1="${PAD.l}" x2="${SVG_W - PAD.r}" y1="${at}" y2="${at}"/>` +
      svgText(PAD.l - 4, at + 4, 'end', fmt(top * f));
  }
  for (const m of [15, 10, 5, 0]) {
    const anchor = m === 15 ? 'start' : m === 0 ? 'end' : 'middle';
    const label = m ? `−${m} min` : `now ${clock(t0 + WINDOW_MS)}`;
    s += svgText(x(t0 + WINDOW_MS - m * 60000), SVG_H - 4, anchor, label);
  }
  return s;
}

// Draws `lines` ({label, color, pts: [[t, v]], dash?}) into svg[data-chart=name].
function drawChart(name, lines, fmt = num, fixedMax = 0) {
  const svg = $(`svg.chart[data-chart="${name}"]`);
  const t1 = state.view.now, t0 = t1 - WINDOW_MS;
  let max = fixedMax;
  for (const l of lines) for (const [t, v] of l.pts) if (v != null && t >= t0 && v > max) max = v;
  const top = fixedMax || niceMax(max);
  const x = (t) => PAD.l + ((t - t0) / WINDOW_MS) * (SVG_W - PAD.l - PAD.r);
  const y = (v) => SVG_H - PAD.b - (v / top) * (SVG_H - PAD.t - PAD.b);
  const paths = lines.map((l) => {
    const n = l.pts.filter(([t, v]) => v != null && t >= t0).length;
    return `<path class="series" data-series="${esc(l.label)}" data-points="${n}" stroke="${l.color}"` +
      `${l.dash ? ` stroke-dasharray="${l.dash}"` : ''} d="${pathOf(l.pts, x, y, t0)}"/>`;
  });
  svg.setAttribute('viewBox', `0 0 ${SVG_W} ${SVG_H}`);
  svg.innerHTML = axes(x, y, top, t0, fmt) + paths.join('') +
    (lines.length ? '' : svgText(SVG_W / 2, SVG_H / 2, 'middle', 'no data', 'empty')) +
    `<line class="cursor" y1="${PAD.t}" y2="${SVG_H - PAD.b}" visibility="hidden"/>`;
  svg.chart = { lines, t0, fmt, x };
  drawKeys(svg.nextElementSibling, lines);
}

function drawKeys(box, lines) {
  box.innerHTML = lines.map((l) => {
    const dash = l.dash ? ` stroke-dasharray="${l.dash}"` : '';
    const sample = `<svg width="18" height="8"><line x1="0" x2="18" y1="4" y2="4" stroke="${l.color}"${dash}/></svg>`;
    return `<span title="${esc(l.title || l.label)}">${sample}${esc(l.label)}</span>`;
  }).join('');
}

// The point of `pts` nearest to `t` (pts ascending by t).
function nearest(pts, t) {
  let lo = 0, hi = pts.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pts[mid][0] < t) lo = mid + 1; else hi = mid;
  }
  return lo > 0 && t - pts[lo - 1][0] < pts[lo][0] - t ? pts[lo - 1] : pts[lo];
}

function showTip(pos) {
  const tip = $('#tip'), svg = pos?.svg, c = svg?.chart;
  const cursor = svg?.querySelector('.cursor');
  if (!c || !svg.isConnected) { tip.hidden = true; return; }
  const r = svg.getBoundingClientRect();
  const px = ((pos.clientX - r.left) / r.width) * SVG_W;
  const t = c.t0 + ((px - PAD.l) / (SVG_W - PAD.l - PAD.r)) * WINDOW_MS;
  const rows = c.lines.map((l) => [l, nearest(l.pts, t)])
    .filter(([, p]) => p && p[1] != null && Math.abs(p[0] - t) <= 2000);
  cursor.setAttribute('x1', c.x(t));
  cursor.setAttribute('x2', c.x(t));
  cursor.setAttribute('visibility', rows.length ? 'visible' : 'hidden');
  tip.innerHTML = `<b>${clock(t)}</b>` + rows.map(([l, p]) =>
    `<div><i style="background:${l.color}"></i>${esc(l.label)}: ${esc(c.fmt(p[1]))}</div>`).join('');
  tip.hidden = !rows.length;
  const right = window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 4;
  tip.style.left = `${Math.min(pos.pageX + 14, right)}px`;
  tip.style.top = `${pos.pageY + 14}px`;
}

function watchHover() {
  for (const svg of document.querySelectorAll('svg.chart')) {
    svg.addEventListener('mousemove', (ev) => {
      const { clientX, clientY, pageX, pageY } = ev;
      state.hover = { svg, clientX, clientY, pageX, pageY };
      showTip(state.hover);
    });
    svg.addEventListener('mouseleave', () => {
      state.hover = null;
      $('#tip').hidden = true;
      svg.querySelector('.cursor')?.setAttribute('visibility', 'hidden');
    });
  }
}

function drawCharts() {
  const routes = routesByTraffic();
  const colorOf = (r) => LINE_COLORS[Math.max(0, routes.indexOf(r)) % LINE_COLORS.length];
  const top = routes.slice(0, TOP_ROUTES);
  drawChart('rps', routeLines(top, 'rps', sum, colorOf));
  drawChart('errors', errorLines(routes, colorOf));
  drawChart('p50', routeLines(top, 'p50_ms', Math.max, colorOf), ms);
  drawChart('p99', routeLines(top, 'p99_ms', Math.max, colorOf), ms);
  drawChart('cpu', perNode('cpu', 100), (v) => `${num(v)}%`);
  drawChart('rss', perNode('rss'), bytes);
  drawChart('entities', entityLines());
  drawChart('replication_lag', lagLines());
  drawChart('fanout_backlog', perNode('fanout_backlog'));
  drawChart('commit_batch', perNode('commit_batch'));
  drawChart('fsync_ms', perNode('fsync_ms'), ms);
  drawChart('cache_hit_rate', perNode('cache_hit_rate'), pct, 1);
  if (state.hover) showTip(state.hover);
}

// ---- header, nodes, legend --------------------------------------------------

function drawHeader() {
  const v = state.view;
  $('#cluster-title').textContent = `troupe · ${v.cluster} · viewed from ${v.self}`;
  document.title = `troupe ${v.cluster} (${v.self})`;
  const m = $('#membership');
  m.textContent = `membership ${v.membership ?? '?'}, quorum ${v.quorum === false ? 'lost' : 'yes'}`;
  m.className = v.quorum === false ? 'bad' : '';
}

// The worst p99 over the node's routes in its last sample.
function lastP99(name) {
  const h = state.history.get(name);
  if (!h || !h.t.length) return null;
  let worst = null;
  for (const [key, col] of h.cols) {
    const v = col[col.length - 1];
    if (key.startsWith('p99_ms\t') && v != null) worst = Math.max(worst ?? v, v);
  }
  return worst;
}

function nodeRow(n) {
  const tr = el('tr');
  tr.dataset.node = n.name;
  tr.dataset.state = n.state;
  const cur = n.stats?.current || {};
  const name = el('td', 'name');
  name.append(el('i', 'swatch'), n.name + (n.name === state.view.self ? ' (this node)' : ''));
  name.firstChild.style.background = nodeColor(n.name);
  tr.append(name, el('td', n.state, n.state), el('td', '', n.http ?? ''),
    el('td', 'n', cur.cpu == null ? '—' : `${num(cur.cpu * 100)}%`),
    el('td', 'n', bytes(cur.rss_bytes)), el('td', 'n', num(cur.requests_per_s)),
    el('td', cur.errors_per_s > 0 ? 'n bad' : 'n', num(cur.errors_per_s)),
    el('td', 'n', ms(n.stats ? lastP99(n.name) : null)),
    el('td', 'n', duration(cur.uptime_s)), el('td', 'note', n.error ?? ''));
  return tr;
}

function drawNodes() {
  const nodes = state.view.nodes || [];
  $('#nodes tbody').replaceChildren(...nodes.map(nodeRow));
  $('#legend').replaceChildren(...nodes.map((n) => {
    const span = el('span', '', n.name);
    span.dataset.node = n.name;
    span.dataset.color = nodeColor(n.name);
    span.prepend(el('i', 'swatch'));
    span.firstChild.style.background = span.dataset.color;
    return span;
  }));
}

// ---- shards -----------------------------------------------------------------

function shardTitle(s) {
  const parts = [`primary ${s.primary ?? '?'}`, `backups ${(s.replicas || []).join(', ') || 'none'}`,
    `serving ${s.serving ?? 'nobody'}`];
  if (s.epoch != null) parts.push(`epoch ${s.epoch}`);
  if (s.in_sync) parts.push(`in sync ${s.in_sync.join(', ') || 'none'}`);
  if (s.state) parts.push(`state ${s.state}`);
  if (s.moving) parts.push('moving');
  if (s.stashed > 0) parts.push(`stashed ${s.stashed}`);
  return parts.join(', ');
}

function drawShard(cell, service, s) {
  const color = s.serving ? nodeColor(s.serving) : '';
  // Most cells stay as they are from one second to the next: leave them.
  const key = `${service}|${color}|${shardTitle(s)}|${s.primary}`;
  if (cell.dataset.key === key) return;
  cell.dataset.key = key;
  cell.className = 'shard';
  cell.classList.toggle('moving', !!s.moving);
  cell.classList.toggle('stashing', s.stashed > 0);
  cell.classList.toggle('unserved', !s.serving);
  cell.classList.toggle('failover', !!s.serving && s.serving !== s.primary);
  if (s.state) cell.classList.add(`state-${s.state}`);
  Object.assign(cell.dataset, { service, shard: s.shard, serving: s.serving ?? '', color });
  cell.style.background = color;
  cell.title = shardTitle(s);
  if (cell.textContent !== String(s.shard)) cell.textContent = s.shard;
}

function drawShards() {
  const root = $('#shards');
  const services = Object.entries(state.view.shards || {});
  const blocks = new Map([...root.children].map((b) => [b.dataset.service, b]));
  services.forEach(([service, list], index) => {
    let block = blocks.get(service);
    if (!block) {
      block = el('div', 'service');
      block.dataset.service = service;
      block.append(el('h3'), el('div', 'grid'));
    }
    if (root.children[index] !== block) root.insertBefore(block, root.children[index] || null);
    blocks.delete(service);
    const grid = block.lastChild;
    while (grid.children.length > list.length) grid.lastChild.remove();
    list.forEach((s, i) => drawShard(grid.children[i] || grid.appendChild(el('div')), service, s));
    const served = list.filter((s) => s.serving).length, moving = list.filter((s) => s.moving).length;
    block.firstChild.textContent =
      `${service}: ${list.length} shards, ${served} served${moving ? `, ${moving} moving` : ''}`;
  });
  for (const stale of blocks.values()) stale.remove();
}

// ---- cache, totals, events --------------------------------------------------

function cacheRow(name, c) {
  const tr = el('tr');
  const lookups = (c.hits ?? 0) + (c.misses ?? 0);
  const used = c.capacity_bytes ? Math.min(1, c.bytes / c.capacity_bytes) : 0;
  const bar = el('div', 'bar');
  bar.append(el('span'));
  bar.firstChild.style.width = `${(used * 100).toFixed(1)}%`;
  bar.title = `${pct(used)} of capacity`;
  const usage = el('td', 'usage');
  usage.append(bar, `${bytes(c.bytes)} / ${bytes(c.capacity_bytes)}`);
  const rate = el('td', 'n', lookups ? pct(c.hits / lookups) : '—');
  rate.title = `${c.hits ?? 0} hits, ${c.misses ?? 0} misses`;
  tr.append(el('td', '', name), rate, el('td', 'n', num(c.entries)), usage);
  return tr;
}

function drawCache() {
  const rows = [], sumOf = { entries: 0, bytes: 0, capacity_bytes: 0, hits: 0, misses: 0 };
  for (const n of state.view.nodes || []) {
    const c = n.stats?.current?.cache;
    if (!c) continue;
    rows.push(cacheRow(n.name, c));
    for (const k of Object.keys(sumOf)) sumOf[k] += c[k] ?? 0;
  }
  if (rows.length > 1) rows.push(cacheRow('all nodes', sumOf));
  const table = el('table');
  table.innerHTML = '<thead><tr><th>node</th><th>hit rate</th><th>entries</th>' +
    '<th>bytes / capacity</th></tr></thead>';
  table.append(el('tbody'));
  table.lastChild.append(...rows);
  $('#cache').replaceChildren(rows.length ? table : el('p', 'hint', 'no cache statistics'));
}

function drawTotals() {
  const nodes = (state.view.nodes || []).filter((n) => n.stats?.current?.totals);
  const keys = [...new Set(nodes.flatMap((n) => Object.keys(n.stats.current.totals)))].sort();
  if (!keys.length) return $('#totals').replaceChildren(el('p', 'hint', 'no totals'));
  const table = el('table');
  const head = el('tr');
  head.append(el('th', '', 'what'), ...nodes.map((n) => el('th', 'n', n.name)), el('th', 'n', 'total'));
  table.append(head);
  for (const k of keys) {
    const vals = nodes.map((n) => n.stats.current.totals[k] ?? 0);
    const tr = el('tr');
    tr.dataset.total = k;
    tr.append(el('td', '', k), ...vals.map((v) => el('td', 'n', num(v))),
      el('td', 'n sum', num(vals.reduce(sum, 0))));
    table.append(tr);
  }
  $('#totals').replaceChildren(table);
}

function drawEvents() {
  if (state.eventsDrawn === state.eventSeq) return;
  state.eventsDrawn = state.eventSeq;
  const items = state.events.slice().reverse().map((e) => {
    const li = el('li');
    Object.assign(li.dataset, { kind: e.kind, node: e.node });
    li.style.borderLeftColor = nodeColor(e.node);
    li.append(el('time', '', clock(e.t)), ` ${e.text}`);
    return li;
  });
  $('#events').replaceChildren(...items);
}

// ---- the refresh loop -------------------------------------------------------

function setStatus(text, ok) {
  const s = $('#status');
  s.textContent = text;
  s.className = ok ? 'live' : 'error';
  if (ok) s.title = `updated ${clock(Date.now())}`;
}

function render() {
  drawHeader();
  drawNodes();
  drawCharts();
  drawShards();
  drawCache();
  drawTotals();
  drawEvents();
}

async function refresh() {
  const started = Date.now();
  try {
    const url = state.since == null ? API : `${API}?since=${state.since}`;
    const res = await fetch(url, { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${API}`);
    ingest(await res.json());
    render();
    setStatus('live', true);
  } catch (err) {
    setStatus(`error: ${err.message}`, false);
  }
  setTimeout(refresh, Math.max(0, REFRESH_MS - (Date.now() - started)));
}

watchHover();
refresh();
