#!/usr/bin/env node
// Browser test of the operator dashboard (docs/api.md `GET /`; DOM hooks in
// the stats contract of issue 18): Debian's chromium, headless, driven over
// the DevTools protocol by puppeteer-core (tests/browser/package.json; never
// downloads a browser of its own).
//
//   node dashboard_test.mjs --url http://127.0.0.1:PORT/ --kill-pid PID
//        --kill-node n3 --out DIR [--nodes 3] [--chromium /usr/bin/chromium]
//        [--ready-timeout-ms 20000] [--down-timeout-ms 15000]
//
// 1. Opens the page and waits until the nodes table shows --nodes nodes, all
//    up, and the charts rps, p99, cpu and rss each draw a series of at least
//    two points. Saves DIR/dashboard-before.png (full page).
// 2. Kills --kill-pid with SIGKILL and waits until the page shows
//    --kill-node down, no shard served by it, every shard cell colored as
//    the legend colors its serving node, and a node_down event naming it.
//    Saves DIR/dashboard-after.png.
// Exit 0 on success; 1 when a check failed (what the page showed is
// printed); 2 on bad arguments or a browser that cannot start. Every wait
// is bounded and the browser is closed on every exit.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

import puppeteer from 'puppeteer-core';

const REQUIRED_CHARTS = ['rps', 'p99', 'cpu', 'rss'];
const POLL_MS = 250;

function usage(message) {
  console.error(`dashboard_test: ${message}`);
  console.error(
    'usage: node dashboard_test.mjs --url URL --kill-pid PID --kill-node NAME --out DIR ' +
      '[--nodes N] [--chromium PATH] [--ready-timeout-ms MS] [--down-timeout-ms MS]');
  process.exit(2);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      url: { type: 'string' },
      'kill-pid': { type: 'string' },
      'kill-node': { type: 'string' },
      out: { type: 'string' },
      nodes: { type: 'string', default: '3' },
      chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
      'ready-timeout-ms': { type: 'string', default: '20000' },
      'down-timeout-ms': { type: 'string', default: '15000' },
    },
    strict: true,
  }));
} catch (e) {
  usage(e.message);
}
for (const required of ['url', 'kill-pid', 'kill-node', 'out'])
  if (!options[required]) usage(`--${required} is required`);
const killPid = Number.parseInt(options['kill-pid'], 10);
if (!(killPid > 1)) usage(`--kill-pid must be a process id, got ${options['kill-pid']}`);
const killNode = options['kill-node'];
const nodeCount = Number.parseInt(options.nodes, 10);
const readyTimeout = Number.parseInt(options['ready-timeout-ms'], 10);
const downTimeout = Number.parseInt(options['down-timeout-ms'], 10);
if (!fs.existsSync(options.chromium))
  usage(`no chromium at ${options.chromium} (scripts/install-browser-deps.sh installs it)`);
fs.mkdirSync(options.out, { recursive: true });

const log = (...args) => console.log(`dashboard_test: ${args.join(' ')}`);

// -- the browser, closed on every exit ----------------------------------------

let browser = null;
async function closeBrowser() {
  const b = browser;
  browser = null;
  if (!b) return;
  // close() asks politely; a browser that does not answer is killed.
  const proc = b.process();
  await Promise.race([b.close().catch(() => {}), sleep(5000)]);
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

let exiting = false;
async function finish(code, message) {
  if (exiting) return;
  exiting = true;
  if (message) (code === 0 ? console.log : console.error)(`dashboard_test: ${message}`);
  await closeBrowser();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => finish(1, `interrupted by ${signal}`));
process.on('unhandledRejection', (e) => finish(1, `FAIL: unhandled error: ${e && e.stack || e}`));

// A last resort above the bounded waits: the whole run never outlasts this.
const overall = readyTimeout + downTimeout + 60000;
setTimeout(() => finish(1, `FAIL: the run took longer than ${overall} ms`), overall).unref();

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// -- what the page shows ------------------------------------------------------

/// Reads every DOM hook the test relies on (stats contract, "The page").
function snapshotInPage() {
  const attr = (el, name) => el.getAttribute(name);
  const text = (sel) => {
    const el = document.querySelector(sel);
    return el ? el.textContent.trim().replace(/\s+/g, ' ') : null;
  };
  const legend = {};
  for (const el of document.querySelectorAll('#legend [data-node]'))
    legend[attr(el, 'data-node')] = attr(el, 'data-color');
  const charts = {};
  for (const svg of document.querySelectorAll('svg.chart[data-chart]'))
    charts[attr(svg, 'data-chart')] = [...svg.querySelectorAll('path.series')].map((p) => ({
      series: attr(p, 'data-series'),
      points: Number(attr(p, 'data-points')),
    }));
  return {
    title: text('#cluster-title'),
    status: text('#status'),
    hasNodesTable: !!document.querySelector('#nodes'),
    hasLegend: !!document.querySelector('#legend'),
    hasShards: !!document.querySelector('#shards'),
    hasEvents: !!document.querySelector('#events'),
    nodes: [...document.querySelectorAll('#nodes tr[data-node]')].map((tr) => ({
      node: attr(tr, 'data-node'),
      state: attr(tr, 'data-state'),
    })),
    legend,
    charts,
    shards: [...document.querySelectorAll('#shards .shard')].map((el) => ({
      service: attr(el, 'data-service'),
      shard: attr(el, 'data-shard'),
      serving: attr(el, 'data-serving'),
      color: attr(el, 'data-color'),
      unserved: el.classList.contains('unserved'),
    })),
    events: [...document.querySelectorAll('#events li')].map((li) => ({
      kind: attr(li, 'data-kind'),
      node: attr(li, 'data-node'),
      text: li.textContent.trim().replace(/\s+/g, ' '),
    })),
  };
}

/// Why the page does not show the cluster formed yet ([] when it does).
function notReady(s) {
  const reasons = [];
  if (!s.hasNodesTable) reasons.push('no #nodes table');
  const up = s.nodes.filter((n) => n.state === 'up');
  if (s.nodes.length !== nodeCount || up.length !== nodeCount)
    reasons.push(`#nodes shows ${up.length} of ${s.nodes.length} nodes up, want ${nodeCount} of ${nodeCount}`);
  if (!s.nodes.some((n) => n.node === killNode))
    reasons.push(`#nodes has no row data-node="${killNode}"`);
  for (const chart of REQUIRED_CHARTS) {
    const series = s.charts[chart];
    if (!series) reasons.push(`no svg.chart[data-chart="${chart}"]`);
    else if (!series.some((p) => p.points >= 2))
      reasons.push(`chart ${chart} has no path.series with data-points >= 2 ` +
                   `(series: ${JSON.stringify(series)})`);
  }
  return reasons;
}

const mentionsKilled = new RegExp(`\\b${killNode.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);

/// Why the page does not show the killed node's failure handled yet.
function notRecovered(s) {
  const reasons = [];
  const row = s.nodes.find((n) => n.node === killNode);
  if (!row) reasons.push(`#nodes has no row data-node="${killNode}"`);
  else if (row.state !== 'down') reasons.push(`${killNode} has data-state="${row.state}", want "down"`);
  if (!s.hasShards) reasons.push('no #shards');
  else if (s.shards.length === 0) reasons.push('#shards has no .shard cell');
  const onKilled = s.shards.filter((c) => c.serving === killNode);
  if (onKilled.length)
    reasons.push(`${onKilled.length} shard(s) still served by ${killNode}: ` + cells(onKilled));
  const unserved = s.shards.filter((c) => !c.serving);
  if (unserved.length)
    reasons.push(`${unserved.length} shard(s) unserved (data-serving=""): ` + cells(unserved));
  const wrongColor = s.shards.filter(
    (c) => c.serving && c.color !== s.legend[c.serving]);
  if (wrongColor.length)
    reasons.push(`${wrongColor.length} shard cell(s) colored unlike the legend's color of their ` +
                 `serving node (legend ${JSON.stringify(s.legend)}): ` +
                 cells(wrongColor, (c) => ` data-color=${c.color}`));
  const downEvents = s.events.filter((e) => e.kind === 'node_down');
  if (!downEvents.some((e) => mentionsKilled.test(e.text)))
    reasons.push(`no #events li[data-kind="node_down"] mentions ${killNode} ` +
                 `(node_down events: ${JSON.stringify(downEvents.slice(0, 5))})`);
  return reasons;
}

function cells(list, extra = () => '') {
  const shown = list.slice(0, 8).map((c) => `${c.service}/${c.shard}@${c.serving || '-'}${extra(c)}`);
  return shown.join(', ') + (list.length > shown.length ? ', ...' : '');
}

function describe(s) {
  if (!s) return '  (the page could not be read)';
  const charts = Object.entries(s.charts)
    .map(([name, series]) => `${name}[${series.map((p) => `${p.series}:${p.points}`).join(' ')}]`)
    .join(' ');
  const perService = {};
  for (const c of s.shards) {
    const key = `${c.service}`;
    perService[key] ??= {};
    const by = c.serving || '(unserved)';
    perService[key][by] = (perService[key][by] || 0) + 1;
  }
  return [
    `  #cluster-title: ${JSON.stringify(s.title)}`,
    `  #status: ${JSON.stringify(s.status)}`,
    `  #nodes: ${s.hasNodesTable ? JSON.stringify(s.nodes) : '(missing)'}`,
    `  #legend: ${s.hasLegend ? JSON.stringify(s.legend) : '(missing)'}`,
    `  charts: ${charts || '(none)'}`,
    `  #shards: ${s.hasShards ? `${s.shards.length} cells, serving per service ${JSON.stringify(perService)}` : '(missing)'}`,
    `  #events: ${s.hasEvents ? JSON.stringify(s.events.slice(0, 10)) : '(missing)'}`,
  ].join('\n');
}

/// Polls the page until `failing(snapshot)` returns no reason or `timeout`
/// passed. Returns {ok, snapshot, reasons}.
async function waitFor(page, failing, timeout) {
  const deadline = Date.now() + timeout;
  let snapshot = null;
  let reasons = ['the page was never read'];
  for (;;) {
    try {
      snapshot = await Promise.race([
        page.evaluate(snapshotInPage),
        sleep(5000).then(() => { throw new Error('reading the page took over 5 s'); }),
      ]);
      reasons = failing(snapshot);
    } catch (e) {
      reasons = [`reading the page failed: ${e.message}`];
    }
    if (reasons.length === 0) return { ok: true, snapshot, reasons };
    if (Date.now() >= deadline) return { ok: false, snapshot, reasons };
    await sleep(POLL_MS);
  }
}

// -- the run --------------------------------------------------------------------

const pageErrors = [];
function pageTrouble() {
  return pageErrors.length ? `\n  page errors / console errors / failed requests (first 15):\n    ` +
    pageErrors.slice(0, 15).join('\n    ') : '';
}

async function screenshot(page, name) {
  const file = path.join(options.out, name);
  await page.screenshot({ path: file, fullPage: true, captureBeyondViewport: true });
  log(`saved ${file} (${fs.statSync(file).size} bytes)`);
}

async function main() {
  try {
    browser = await puppeteer.launch({
      executablePath: options.chromium,
      headless: true, // --headless=new
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
             '--no-first-run', '--no-default-browser-check'],
      timeout: 20000,
      protocolTimeout: 30000,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (e) {
    return finish(2, `FAIL: could not start ${options.chromium}: ${e.message}`);
  }
  log(`started ${await browser.version()} (${options.chromium})`);
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
  page.on('requestfailed', (r) =>
    pageErrors.push(`request failed: ${r.url()} ${r.failure() ? r.failure().errorText : ''}`));

  try {
    const response = await page.goto(options.url, { waitUntil: 'load', timeout: 15000 });
    if (!response || !response.ok())
      return finish(1, `FAIL: GET ${options.url} answered ${response ? response.status() : 'nothing'}`);
  } catch (e) {
    return finish(1, `FAIL: could not open ${options.url}: ${e.message}`);
  }
  log(`opened ${options.url}`);

  const ready = await waitFor(page, notReady, readyTimeout);
  if (!ready.ok) {
    await screenshot(page, 'dashboard-before.png').catch(() => {});
    return finish(1, `FAIL: within ${readyTimeout} ms the page did not show the cluster ` +
      `formed with data:\n  - ${ready.reasons.join('\n  - ')}\n what the page showed:\n` +
      describe(ready.snapshot) + pageTrouble());
  }
  log(`the page shows ${nodeCount} nodes up and charts ${REQUIRED_CHARTS.join(', ')} with data`);
  await screenshot(page, 'dashboard-before.png');

  try {
    process.kill(killPid, 'SIGKILL');
  } catch (e) {
    return finish(1, `FAIL: could not kill pid ${killPid} (${killNode}): ${e.message}`);
  }
  const killedAt = Date.now();
  log(`killed pid ${killPid} (${killNode}) with SIGKILL`);

  const recovered = await waitFor(page, notRecovered, downTimeout);
  await screenshot(page, 'dashboard-after.png').catch((e) =>
    pageErrors.push(`screenshot failed: ${e.message}`));
  if (!recovered.ok)
    return finish(1, `FAIL: within ${downTimeout} ms of killing ${killNode} the page did not ` +
      `show its failure handled:\n  - ${recovered.reasons.join('\n  - ')}\n what the page showed:\n` +
      describe(recovered.snapshot) + pageTrouble());
  if (!fs.existsSync(path.join(options.out, 'dashboard-after.png')))
    return finish(1, `FAIL: could not save dashboard-after.png${pageTrouble()}`);
  log(`the page showed ${killNode} down, its shards moved and a node_down event ` +
      `${Date.now() - killedAt} ms after the kill`);
  return finish(0, 'PASS');
}

main().catch((e) => finish(1, `FAIL: ${e && e.stack || e}`));
