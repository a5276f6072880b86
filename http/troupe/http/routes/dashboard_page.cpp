#include "troupe/http/routes/dashboard_page.hpp"

namespace troupe::http::routes {

const char* const dashboard_html = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>troupe dashboard</title>
<style>
 body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
 h1{font-size:1.3em} h2{font-size:1.1em;margin-top:1.5em}
 table{border-collapse:collapse} td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}
 .up{color:#070} .down,.failed{color:#b00} .loading{color:#a60}
 .grid span{display:inline-block;width:2.6em;margin:1px;padding:2px 0;text-align:center;border-radius:3px;background:#eee;font-size:12px}
 .grid span.up{background:#cfc} .grid span.failed{background:#fcc} .grid span.loading{background:#ffd}
</style></head>
<body>
<h1>troupe <span id="cluster"></span></h1>
<div id="error" class="down"></div>
<h2>Nodes</h2><table id="nodes"><tr><th>name</th><th>state</th><th>http</th><th>actor</th></tr></table>
<h2>Requests per second (since last refresh)</h2><table id="rates"><tr><th>route</th><th>status</th><th>req/s</th></tr></table>
<h2>Shards</h2><div id="shards"></div>
<script>
let last = null, lastAt = 0;
function text(tag, s, cls) { const e = document.createElement(tag); e.textContent = s; if (cls) e.className = cls; return e; }
function row(table, cells) { const tr = document.createElement('tr'); cells.forEach(c => tr.appendChild(c)); table.appendChild(tr); }
function clear(table) { while (table.rows.length > 1) table.deleteRow(1); }
function counters(metrics) {
  const out = {};
  for (const line of metrics.split('\n')) {
    const m = line.match(/^troupe_http_requests_total\{(.*)\} (\d+)/);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map(x => [x[1], x[2]]));
    const key = labels.route + ' ' + labels.status;
    out[key] = (out[key] || 0) + Number(m[2]);
  }
  return out;
}
async function refresh() {
  try {
    const cluster = await (await fetch('/api/v1/cluster')).json();
    const metrics = await (await fetch('/metrics')).text();
    document.getElementById('error').textContent = '';
    document.getElementById('cluster').textContent = '· cluster ' + cluster.cluster + ' · node ' + cluster.self;
    const nodes = document.getElementById('nodes'); clear(nodes);
    for (const n of cluster.nodes)
      row(nodes, [text('td', n.name), text('td', n.state, n.state), text('td', n.http), text('td', n.actor)]);
    const now = Date.now(), cur = counters(metrics), rates = document.getElementById('rates'); clear(rates);
    if (last) for (const key of Object.keys(cur).sort()) {
      const [route, status] = key.split(' ');
      const rate = (cur[key] - (last[key] || 0)) * 1000 / (now - lastAt);
      if (rate > 0) row(rates, [text('td', route), text('td', status), text('td', rate.toFixed(1))]);
    }
    last = cur; lastAt = now;
    const shards = document.getElementById('shards'); shards.textContent = '';
    for (const [service, list] of Object.entries(cluster.shards)) {
      shards.appendChild(text('h3', service));
      const grid = text('div', '', 'grid');
      for (const s of list) {
        const span = text('span', String(s.shard), s.state || '');
        span.title = 'primary ' + s.primary + (s.replicas.length ? ', replicas ' + s.replicas.join(', ') : '');
        grid.appendChild(span);
      }
      shards.appendChild(grid);
    }
  } catch (e) { document.getElementById('error').textContent = 'refresh failed: ' + e; }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>
)HTML";

} // namespace troupe::http::routes
