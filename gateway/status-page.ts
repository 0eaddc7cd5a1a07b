// The status page the gateway serves at `/`: one HTML document with inline CSS and vanilla JS (no
// build step), talking to the gateway's own JSON routes: predict box, sentiment mix and 30-day trend,
// drift status, model versions with promote/rollback, links. Every route behind it needs a token: the
// one typed in is kept in sessionStorage only (this tab, until it closes) and sent as a bearer token.
export function statusPage(links: { grafana: string; metrics: string }): string {
  return `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Ulasan status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
 header{background:#1d2330;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:baseline}
 header a{color:#9cc3ff} main{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:16px;padding:16px 24px}
 section{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px #0002} h2{margin:0 0 12px;font-size:16px}
 textarea{width:100%;height:70px;box-sizing:border-box} button{margin:6px 6px 0 0;padding:6px 12px;cursor:pointer}
 .neg{color:#c0392b}.neu{color:#7f8c8d}.pos{color:#27ae60} table{border-collapse:collapse;width:100%;font-size:13px}
 td,th{border-bottom:1px solid #eee;padding:4px;text-align:left} .badge{padding:2px 8px;border-radius:10px;background:#eee}
 .drift{background:#fdecea}.ok{background:#e8f6ee} #error{color:#c0392b;min-height:1em}
</style></head>
<body>
<header><strong>Ulasan</strong><span id="model">model: …</span><a href="${links.grafana}">Grafana</a><a href="${links.metrics}">/metrics</a><a href="/docs">API docs</a>
 <span><input id="token" type="password" placeholder="access token" size="24"> <button id="signin">Use token</button></span></header>
<main>
 <section><h2>Prediksi</h2>
  <textarea id="text" placeholder="Tulis ulasan…">Aplikasinya bagus, pengiriman cepat!</textarea>
  <button id="predict">Predict</button><div id="result" data-testid="result"></div></section>
 <section><h2>Sentiment mix</h2><div id="mix" data-testid="mix">…</div><svg id="trend" width="320" height="120" aria-label="30-day trend"></svg></section>
 <section><h2>Drift</h2><div id="drift" data-testid="drift">…</div></section>
 <section><h2>Model versions</h2>
  <button id="rollback">Rollback</button><div id="error"></div>
  <table><thead><tr><th>version</th><th>stage</th><th>accuracy</th><th>since</th><th></th></tr></thead><tbody id="versions"></tbody></table></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem('ulasan-token') || '';
const json = async (url, opts = {}) => {
  const headers = { ...(opts.headers || {}), ...(token() ? { authorization: 'Bearer ' + token() } : {}) };
  const r = await fetch(url, { ...opts, headers }); const b = await r.json();
  if (!r.ok) throw new Error(b.code + ': ' + b.message); return b; };
const admin = (url) => json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
async function refresh() {
  const s = await json('/stats');
  $('model').textContent = 'model: ' + s.model.name + ' v' + s.model.version;
  const m = s.sentiment_mix, n = Math.max(1, m.negative + m.neutral + m.positive);
  $('mix').innerHTML = '<span class="neg">negatif ' + Math.round(100*m.negative/n) + '%</span> · <span class="neu">netral ' + Math.round(100*m.neutral/n) + '%</span> · <span class="pos">positif ' + Math.round(100*m.positive/n) + '%</span> · ' + s.reviews_scored + ' ulasan';
  $('drift').innerHTML = s.drift.latest_window ? '<span class="badge ' + (s.drift.drifted ? 'drift' : 'ok') + '">' + (s.drift.drifted ? 'drift' : 'stabil') + '</span> latest window ' + s.drift.latest_window + ', severity ' + s.drift.severity.toFixed(2) : 'no closed window yet';
  const t = await json('/stats/trend'); const svg = $('trend'); svg.innerHTML = '';
  const max = Math.max(1, ...t.days.map((d) => d.negative + d.neutral + d.positive)); const w = 320 / Math.max(1, t.days.length);
  t.days.forEach((d, i) => { let y = 120; for (const [k, c] of [['negative','#c0392b'],['neutral','#95a5a6'],['positive','#27ae60']]) { const h = 110 * d[k] / max; y -= h; svg.insertAdjacentHTML('beforeend', '<rect x="' + (i*w) + '" y="' + y + '" width="' + Math.max(1, w-2) + '" height="' + h + '" fill="' + c + '"/>'); } });
  const v = await json('/models');
  $('versions').innerHTML = v.versions.map((x) => '<tr><td>' + x.version + '</td><td>' + x.stage + '</td><td>' + (x.metrics.accuracy ?? '').toString().slice(0, 6) + '</td><td>' + x.since.slice(0, 19) + '</td><td>' + (x.stage === 'Production' ? '' : '<button data-promote="' + x.version + '">Promote</button>') + '</td></tr>').join('');
}
$('predict').onclick = async () => {
  try { const p = await json('/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: $('text').value }) });
    $('result').innerHTML = '<b class="' + p.label.slice(0, 3) + '">' + p.label + '</b> (' + (100 * p.confidence).toFixed(1) + '%), model v' + p.model_version;
  } catch (e) { $('result').textContent = e.message; }
};
$('rollback').onclick = () => admin('/models/rollback').then(refresh, (e) => ($('error').textContent = e.message));
$('versions').onclick = (ev) => { const v = ev.target.dataset && ev.target.dataset.promote; if (v) admin('/models/' + v + '/promote').then(refresh, (e) => ($('error').textContent = e.message)); };
const show = () => refresh().then(() => ($('error').textContent = ''), (e) => ($('error').textContent = e.message));
$('signin').onclick = () => { sessionStorage.setItem('ulasan-token', $('token').value.trim()); $('token').value = ''; show(); };
show();
</script></body></html>`;
}
