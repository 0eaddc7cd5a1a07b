// The status page the gateway serves at `/`: one HTML document with inline CSS and plain JS (no build
// step), charts drawn with uPlot (served by the gateway from node_modules: small, fast, MIT, no
// dependencies), reading the gateway's own JSON routes. Filterable by app and time range:
// sentiment over time, drift per feature with retrain requests, runs and promotions as markers, the
// latest negative reviews, the most distinctive words per sentiment, model versions with their stage
// history, metrics and training reports, and a manual retrain. Every route behind it needs a token:
// the one typed in is kept in sessionStorage only (this tab, until it closes).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const UPLOT_DIST = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));

/** Files the page loads from /assets/, read once on first request. */
export const STATUS_ASSETS: Record<string, { type: string; body: () => Buffer }> = {
  'uplot.min.js': { type: 'text/javascript; charset=utf-8', body: once(path.join(UPLOT_DIST, 'uPlot.iife.min.js')) },
  'uplot.min.css': { type: 'text/css; charset=utf-8', body: once(path.join(UPLOT_DIST, 'uPlot.min.css')) },
};

function once(file: string): () => Buffer {
  let body: Buffer | undefined;
  return () => (body ??= readFileSync(file));
}

const STYLE = `
 body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
 header{background:#1d2330;color:#fff;padding:10px 24px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
 header a{color:#9cc3ff} header select,header input{padding:3px}
 main{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px;padding:16px 24px}
 section{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 3px #0002;min-width:0}
 section.wide{grid-column:1/-1} h2{margin:0 0 10px;font-size:15px}
 textarea{width:100%;height:60px;box-sizing:border-box} button{margin:4px 6px 0 0;padding:5px 11px;cursor:pointer}
 .neg{color:#c0392b}.neu{color:#7f8c8d}.pos{color:#27ae60} table{border-collapse:collapse;width:100%;font-size:13px}
 td,th{border-bottom:1px solid #eee;padding:4px;text-align:left;vertical-align:top}
 .empty{color:#7f8c8d;font-style:italic} .terms{display:grid;grid-template-columns:repeat(3,1fr);gap:8px}
 .terms ol{margin:4px 0;padding-left:20px;font-size:13px} #error{color:#c0392b;min-height:1em}
 .reports img{max-width:260px;border:1px solid #eee;margin:4px 4px 0 0} .events li{font-size:13px}
 .k-request{color:#8e44ad}.k-run{color:#2c3e50}.k-promotion{color:#d35400}`;

const BODY = `
<header><strong>Ulasan</strong><span id="model">model: …</span>
 <label>app <select id="app" data-testid="app-filter"><option value="">all apps</option></select></label>
 <label>range <select id="range"><option value="1">24 h</option><option value="7">7 days</option>
  <option value="30" selected>30 days</option><option value="365">1 year</option></select></label>
 <a href="{{grafana}}">Grafana</a><a href="{{metrics}}">/metrics</a><a href="/docs">API docs</a>
 <span><input id="token" type="password" placeholder="access token" size="22"> <button id="signin">Use token</button></span>
</header>
<main>
 <section class="wide" data-testid="sentiment"><h2>Sentiment over time <span id="counts"></span></h2><div id="sentiment"></div></section>
 <section class="wide" data-testid="drift"><h2>Drift per feature (1 = threshold) with retrain requests, runs and promotions</h2>
  <div id="drift"></div><ul class="events" id="events" data-testid="timeline"></ul></section>
 <section data-testid="negatives"><h2>Latest negative reviews</h2><div id="negatives"></div></section>
 <section data-testid="terms"><h2>Most distinctive words per sentiment</h2><div id="terms"></div></section>
 <section class="wide" data-testid="versions"><h2>Model versions</h2>
  <button id="rollback">Rollback</button><input id="reason" placeholder="reason for a retrain" size="28">
  <button id="retrain">Retrain now</button><div id="error"></div><div id="versions"></div></section>
 <section><h2>Prediksi</h2>
  <textarea id="text" placeholder="Tulis ulasan…">Aplikasinya bagus, pengiriman cepat!</textarea>
  <button id="predict">Predict</button><div id="result" data-testid="result"></div></section>
</main>`;

// Plain browser JS, kept in this string: it talks only to this gateway's routes.
const SCRIPT = `
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const token = () => sessionStorage.getItem('ulasan-token') || '';
const auth = () => (token() ? { authorization: 'Bearer ' + token() } : {});
const json = async (url, opts = {}) => {
  const r = await fetch(url, { ...opts, headers: { ...(opts.headers || {}), ...auth() } }); const b = await r.json();
  if (!r.ok) throw new Error(b.code + ': ' + b.message); return b; };
const post = (url, body) => json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
const empty = (el, text) => { el.innerHTML = '<p class="empty">' + esc(text) + '</p>'; el.dataset.count = '0'; };
const filter = () => { const to = Date.now(), from = to - Number($('range').value) * 86400000;
  const app = $('app').value; return 'from=' + from + '&to=' + to + (app ? '&app=' + encodeURIComponent(app) : ''); };
const charts = {}; let markers = [];
const markerPlugin = { hooks: { draw: [(u) => { const ctx = u.ctx; ctx.save();
  for (const m of markers) { const x = u.valToPos(m.at / 1000, 'x', true); if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
    ctx.strokeStyle = m.kind === 'promotion' ? '#d35400' : m.kind === 'request' ? '#8e44ad' : '#2c3e50';
    ctx.setLineDash(m.kind === 'run' ? [4, 4] : []); ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); }
  ctx.restore(); }] } };
// The time axis also spans the markers, so a run or promotion after the last window still shows.
const xRange = (u, min, max) => { const at = markers.map((m) => m.at / 1000);
  return [Math.min(min, ...at), Math.max(max, ...at)]; };
function chart(id, opts, data) { charts[id]?.destroy(); const el = $(id); el.innerHTML = '';
  charts[id] = new uPlot({ width: Math.max(400, el.clientWidth || 900), height: 220, plugins: [markerPlugin],
    scales: { x: { time: true, range: xRange } }, ...opts }, data, el);
  el.dataset.count = String(data[0].length); }
async function sentimentPanel(q) {
  const { buckets } = await json('/dashboard/sentiment?' + q);
  const total = buckets.reduce((s, b) => s + b.negative + b.neutral + b.positive, 0);
  $('counts').textContent = total ? '(' + total + ' reviews)' : '';
  if (!buckets.length) { charts.sentiment?.destroy(); delete charts.sentiment;
    return empty($('sentiment'), 'No scored reviews in this range. Produce some (npm run scrape, npm run produce) or widen the range.'); }
  const t = buckets.map((b) => b.t / 1000), neg = buckets.map((b) => b.negative);
  const neu = buckets.map((b) => b.negative + b.neutral), all = buckets.map((b) => b.negative + b.neutral + b.positive);
  const raw = { positive: buckets.map((b) => b.positive), neutral: buckets.map((b) => b.neutral), negative: neg };
  const bars = uPlot.paths.bars({ size: [0.8, 60] });
  const s = (label, stroke, fill, key) => ({ label, stroke, fill, paths: bars, value: (u, v, si, i) => (i == null ? '' : raw[key][i]) });
  chart('sentiment', { series: [{}, s('positive', '#27ae60', '#27ae60cc', 'positive'), s('neutral', '#95a5a6', '#95a5a6cc', 'neutral'),
    s('negative', '#c0392b', '#c0392bcc', 'negative')], axes: [{}, { label: 'reviews' }] }, [t, all, neu, neg]);
}
async function driftPanel(q) {
  const [{ windows }, { events }] = await Promise.all([json('/dashboard/drift?' + q), json('/dashboard/timeline?' + q)]);
  markers = events;
  $('events').innerHTML = events.slice(-12).reverse().map((e) => '<li class="k-' + e.kind + '">' + new Date(e.at).toISOString().slice(0, 16).replace('T', ' ') + ' ' + esc(e.label) + '</li>').join('');
  $('events').dataset.count = String(events.length);
  if (!windows.length) { charts.drift?.destroy(); delete charts.drift;
    return empty($('drift'), 'No tested drift window in this range yet: windows are tested once a reference period of traffic has passed (DRIFT_REFERENCE_PERIOD).'); }
  const times = [...new Set(windows.map((w) => w.t))].sort((a, b) => a - b);
  const features = [...new Set(windows.flatMap((w) => Object.keys(w.scores)))].sort();
  const at = new Map(times.map((t, i) => [t, i]));
  const series = features.map(() => times.map(() => null));
  for (const w of windows) features.forEach((f, k) => { const v = w.scores[f]; const i = at.get(w.t);
    if (v != null && (series[k][i] == null || v > series[k][i])) series[k][i] = v; });
  const palette = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf','#393b79','#637939','#8c6d31','#843c39','#7b4173','#3182bd'];
  chart('drift', { series: [{}, ...features.map((f, k) => ({ label: f, stroke: palette[k % palette.length], width: 1.2, spanGaps: true })),
    { label: 'threshold', stroke: '#000', dash: [6, 4], width: 1 }], axes: [{}, { label: 'drift score' }] },
    [times.map((t) => t / 1000), ...series, times.map(() => 1)]);
}
async function negativesPanel(q) {
  const { reviews } = await json('/dashboard/negatives?' + q);
  if (!reviews.length) return empty($('negatives'), 'No negative reviews in this range.');
  $('negatives').innerHTML = '<table><tr><th>when</th><th>app</th><th>conf.</th><th>review</th></tr>' + reviews.map((r) =>
    '<tr><td>' + new Date(r.created_at).toISOString().slice(0, 16).replace('T', ' ') + '</td><td>' + esc(r.app_id) + '</td><td>' +
    (100 * r.confidence).toFixed(0) + '%</td><td>' + esc(r.text.slice(0, 220)) + '</td></tr>').join('') + '</table>';
  $('negatives').dataset.count = String(reviews.length);
}
async function termsPanel(q) {
  const { terms } = await json('/dashboard/terms?' + q);
  const n = terms.negative.length + terms.neutral.length + terms.positive.length;
  if (!n) return empty($('terms'), 'Not enough reviews in this range to tell words apart.');
  const col = (k, cls) => '<div><b class="' + cls + '">' + k + '</b><ol>' + terms[k].map((t) => '<li>' + esc(t.term) + ' <small>(' + t.n + ')</small></li>').join('') + '</ol></div>';
  $('terms').innerHTML = '<div class="terms">' + col('negative', 'neg') + col('neutral', 'neu') + col('positive', 'pos') + '</div>';
  $('terms').dataset.count = String(n);
}
const metric = (m, k) => (m[k] == null ? '' : Number(m[k]).toFixed(3));
async function versionsPanel() {
  const { versions } = await json('/dashboard/versions');
  if (!versions.length) return empty($('versions'), 'No registered version yet: the launcher registers the start-up package on its first run (LAUNCHER_BOOTSTRAP_MODEL_DIR), or retrain.');
  $('versions').innerHTML = '<table><tr><th>version</th><th>stage</th><th>accuracy</th><th>macro-F1</th><th>history</th><th>report</th><th></th></tr>' +
    versions.map((v) => '<tr><td>v' + v.version + '</td><td>' + esc(v.stage) + '</td><td>' + metric(v.metrics, 'accuracy') + '</td><td>' +
      metric(v.metrics, 'macro_f1') + '</td><td>' + v.history.map((h) => esc(h.stage) + ' ' + new Date(h.at).toISOString().slice(0, 16).replace('T', ' ') +
      ' <small>(' + esc(h.reason) + ')</small>').join('<br>') + '</td><td class="reports" data-run="' + esc(v.run_id || '') + '" data-files="' +
      esc(v.reports.filter((f) => f.endsWith('.svg')).join(',')) + '"></td><td>' + (v.stage === 'Production' ? '' :
      '<button data-promote="' + v.version + '">Promote</button>') + '</td></tr>').join('') + '</table>';
  $('versions').dataset.count = String(versions.length);
  for (const td of document.querySelectorAll('td.reports')) for (const f of td.dataset.files.split(',').filter(Boolean)) {
    // Images cannot send a bearer token: fetched with it, then shown from a blob URL (an <img> runs no script).
    const r = await fetch('/runs/' + td.dataset.run + '/' + f, { headers: auth() });
    if (r.ok) td.insertAdjacentHTML('beforeend', '<img alt="' + f + '" src="' + URL.createObjectURL(await r.blob()) + '">'); }
}
async function refresh() {
  const s = await json('/stats'); $('model').textContent = 'model: ' + s.model.name + ' v' + s.model.version;
  const { apps } = await json('/dashboard/apps?from=0&to=' + Date.now());
  const chosen = $('app').value;
  $('app').innerHTML = '<option value="">all apps</option>' + apps.map((a) => '<option value="' + esc(a.app_id) + '"' + (a.app_id === chosen ? ' selected' : '') + '>' + esc(a.app_id) + ' (' + a.reviews + ')</option>').join('');
  const q = filter();
  await Promise.all([driftPanel(q).then(() => sentimentPanel(q)), negativesPanel(q), termsPanel(q), versionsPanel()]);
  document.body.dataset.ready = String(Date.now());
}
const show = () => refresh().then(() => ($('error').textContent = ''), (e) => ($('error').textContent = e.message));
$('predict').onclick = async () => {
  try { const p = await post('/predict', { text: $('text').value });
    $('result').innerHTML = '<b class="' + p.label.slice(0, 3) + '">' + p.label + '</b> (' + (100 * p.confidence).toFixed(1) + '%), model v' + esc(p.model_version);
  } catch (e) { $('result').textContent = e.message; } };
$('rollback').onclick = () => post('/models/rollback').then(show, (e) => ($('error').textContent = e.message));
$('retrain').onclick = () => post('/retrain', $('reason').value ? { reason: $('reason').value } : {}).then(
  (r) => { $('error').textContent = 'retrain requested: ' + r.request_id; }, (e) => ($('error').textContent = e.message));
$('versions').onclick = (ev) => { const v = ev.target.dataset && ev.target.dataset.promote;
  if (v) post('/models/' + v + '/promote').then(show, (e) => ($('error').textContent = e.message)); };
$('app').onchange = show; $('range').onchange = show;
$('signin').onclick = () => { sessionStorage.setItem('ulasan-token', $('token').value.trim()); $('token').value = ''; show(); };
show();`;

export function statusPage(links: { grafana: string; metrics: string }): string {
  const body = BODY.replace('{{grafana}}', links.grafana).replace('{{metrics}}', links.metrics);
  return `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Ulasan status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/uplot.min.css"><script src="/assets/uplot.min.js"></script>
<style>${STYLE}</style></head>
<body>${body}
<script>${SCRIPT}</script></body></html>`;
}
