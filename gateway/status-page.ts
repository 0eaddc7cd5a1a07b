// The status page the gateway serves at `/`: one HTML document with inline CSS and plain JS (no build
// step), charts drawn with uPlot (served by the gateway from node_modules: small, fast, MIT, no
// dependencies), reading the gateway's own JSON routes. Filterable by app and time range:
// sentiment over time with alerts as marked windows and a list of their reasons, complaint topics
// over time, each app's releases against the previous one, emerging words per app, drift effect
// sizes (PSI) per feature with drifted windows marked and the verdicts' reasons beside retrain
// requests, runs and promotions, the latest negative reviews, the most distinctive words per
// sentiment, model versions with their stage history, metrics and training reports, and a manual
// retrain. Every route behind it needs a token: the one typed in is kept in sessionStorage only
// (this tab, until it closes).
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
 .k-request{color:#8e44ad}.k-run{color:#2c3e50}.k-promotion{color:#d35400}
 .alerts li{font-size:13px;margin:3px 0} .st-open{color:#c0392b;font-weight:600}.st-resolved{color:#7f8c8d}
 .verdict{font-size:13px;margin:6px 0} .verdict b{color:#c0392b} .up{color:#c0392b}.down{color:#27ae60}
 .emerging{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:8px;font-size:13px}
 .emerging ol{margin:4px 0;padding-left:20px} small.muted{color:#7f8c8d}`;

const BODY = `
<header><strong>Ulasan</strong><span id="model">model: …</span>
 <label>app <select id="app" data-testid="app-filter"><option value="">all apps</option></select></label>
 <label>range <select id="range"><option value="1">24 h</option><option value="7">7 days</option>
  <option value="30" selected>30 days</option><option value="365">1 year</option></select></label>
 <a href="{{grafana}}">Grafana</a><a href="{{metrics}}">/metrics</a><a href="/docs">API docs</a>
 <span><input id="token" type="password" placeholder="access token" size="22">
  <button id="signin">Use token</button></span>
</header>
<main>
 <section class="wide" data-testid="sentiment"><h2>Sentiment over time <span id="counts"></span>, alerts shaded</h2>
  <div id="sentiment"></div><ul class="alerts" id="alerts" data-testid="alerts"></ul></section>
 <section class="wide" data-testid="topics"><h2>Complaint topics over time (reviews per topic)</h2>
  <div id="topics"></div></section>
 <section data-testid="app-versions"><h2>App versions: this release vs the previous one</h2>
  <div id="appversions"></div></section>
 <section data-testid="emerging"><h2>Emerging words in negative reviews
  <small class="muted" id="emerging-span"></small></h2>
  <div id="emerging"></div></section>
 <section class="wide" data-testid="drift"><h2>Drift: effect size per feature (PSI; 0.1 moderate, 0.25 major),
  drifted windows shaded, with retrain requests, runs and promotions</h2><div class="verdict" id="verdict"></div>
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
const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const token = () => sessionStorage.getItem('ulasan-token') || '';
const auth = () => (token() ? { authorization: 'Bearer ' + token() } : {});
const json = async (url, opts = {}) => {
  const r = await fetch(url, { ...opts, headers: { ...(opts.headers || {}), ...auth() } });
  const b = await r.json();
  if (!r.ok) throw new Error(b.code + ': ' + b.message);
  return b;
};
const post = (url, body) =>
  json(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body || {}),
  });
const empty = (el, text) => {
  el.innerHTML = '<p class="empty">' + esc(text) + '</p>';
  el.dataset.count = '0';
};
const filter = () => {
  const to = Date.now(),
    from = to - Number($('range').value) * 86400000;
  const app = $('app').value;
  return 'from=' + from + '&to=' + to + (app ? '&app=' + encodeURIComponent(app) : '');
};
const charts = {};
const when = (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const pct = (x) => (100 * x).toFixed(0) + ' %';
const signed = (x) => (x > 0 ? '+' : x < 0 ? '\\u2212' : '\\u00b1') + Math.abs(100 * x).toFixed(0) + ' pt';
// Per chart: vertical lines (timeline events, alert openings) and shaded bands (alert windows,
// drifted windows), drawn under the series; the time axis also spans them, so none falls off.
const overlay = (lines, bands) => ({
  hooks: {
    drawClear: [
      (u) => {
        const ctx = u.ctx,
          top = u.bbox.top,
          h = u.bbox.height;
        const x = (ms) => u.valToPos(ms / 1000, 'x', true);
        ctx.save();
        for (const b of bands) {
          const a = Math.max(u.bbox.left, x(b.from)),
            z = Math.min(u.bbox.left + u.bbox.width, x(b.to));
          if (z > a) {
            ctx.fillStyle = b.color;
            ctx.fillRect(a, top, Math.max(2, z - a), h);
          }
        }
        for (const m of lines) {
          const p = x(m.at);
          if (p < u.bbox.left || p > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = m.color;
          ctx.lineWidth = 1.5;
          ctx.setLineDash(m.dash || []);
          ctx.beginPath();
          ctx.moveTo(p, top);
          ctx.lineTo(p, top + h);
          ctx.stroke();
          if (m.label) {
            ctx.fillStyle = m.color;
            ctx.font = 'bold ' + 11 * devicePixelRatio + 'px sans-serif';
            const w = ctx.measureText(m.label).width,
              right = u.bbox.left + u.bbox.width;
            ctx.fillText(m.label, p + 4 + w > right ? p - 4 - w : p + 4, top + 12 * devicePixelRatio);
          }
        }
        ctx.restore();
      },
    ],
  },
});
function chart(id, opts, data, lines = [], bands = []) {
  charts[id]?.destroy();
  const el = $(id);
  el.innerHTML = '';
  const at = [...lines.map((m) => m.at), ...bands.flatMap((b) => [b.from, b.to])].map((t) => t / 1000);
  const range = (u, min, max) => [Math.min(min, ...at), Math.max(max, ...at)];
  charts[id] = new uPlot(
    {
      width: Math.max(400, el.clientWidth || 900),
      height: 220,
      plugins: [overlay(lines, bands)],
      scales: { x: { time: true, range } },
      ...opts,
    },
    data,
    el,
  );
  el.dataset.count = String(data[0].length);
}
const none = (id, text) => {
  charts[id]?.destroy();
  delete charts[id];
  empty($(id), text);
};
const EVENT_COLOR = { promotion: '#d35400', request: '#8e44ad', run: '#2c3e50' };
const eventLines = (events) =>
  events.map((e) => ({ at: e.at, color: EVENT_COLOR[e.kind], dash: e.kind === 'run' ? [4, 4] : [] }));
const alertBands = (alerts) =>
  alerts.map((a) => ({
    from: a.window_start,
    to: a.window_end,
    color: a.status === 'open' ? '#c0392b33' : '#7f8c8d2a',
  }));
const alertLines = (alerts) =>
  alerts.map((a) => ({
    at: a.opened_at,
    color: a.status === 'open' ? '#c0392b' : '#7f8c8d',
    label: '\\u26a0 ' + a.kind.replace('_', ' '),
  }));
async function sentimentPanel(q, events) {
  const [{ buckets }, { alerts }] = await Promise.all([
    json('/dashboard/sentiment?' + q),
    json('/dashboard/alerts?' + q),
  ]);
  alertsList(alerts);
  const total = buckets.reduce((s, b) => s + b.negative + b.neutral + b.positive, 0);
  $('counts').textContent = total ? '(' + total + ' reviews)' : '';
  if (!buckets.length)
    return none(
      'sentiment',
      'No scored reviews in this range. Produce some (npm run scrape, npm run produce) or widen the range.',
    );
  const t = buckets.map((b) => b.t / 1000),
    neg = buckets.map((b) => b.negative);
  const neu = buckets.map((b) => b.negative + b.neutral),
    all = buckets.map((b) => b.negative + b.neutral + b.positive);
  const raw = {
    positive: buckets.map((b) => b.positive),
    neutral: buckets.map((b) => b.neutral),
    negative: neg,
  };
  const bars = uPlot.paths.bars({ size: [0.8, 60] });
  const s = (label, stroke, fill, key) => ({
    label,
    stroke,
    fill,
    paths: bars,
    value: (u, v, si, i) => (i == null ? '' : raw[key][i]),
  });
  chart(
    'sentiment',
    {
      series: [
        {},
        s('positive', '#27ae60', '#27ae60cc', 'positive'),
        s('neutral', '#95a5a6', '#95a5a6cc', 'neutral'),
        s('negative', '#c0392b', '#c0392bcc', 'negative'),
      ],
      axes: [{}, { label: 'reviews' }],
    },
    [t, all, neu, neg],
    [...eventLines(events), ...alertLines(alerts)],
    alertBands(alerts),
  );
}
function alertsList(alerts) {
  const el = $('alerts');
  el.dataset.count = String(alerts.length);
  if (!alerts.length) {
    el.innerHTML = '<li class="empty">No alert in this range.</li>';
    return;
  }
  el.innerHTML = alerts
    .slice(0, 12)
    .map(
      (a) =>
        '<li><span class="st-' +
        esc(a.status) +
        '">' +
        esc(a.status) +
        '</span> <b>' +
        esc(a.kind) +
        '</b> ' +
        esc(a.app_id) +
        (a.app_version ? ' v' + esc(a.app_version) : '') +
        ' <small class="muted">' +
        when(a.window_start) +
        ' \\u2192 ' +
        when(a.window_end) +
        '</small>: ' +
        esc(a.reason) +
        (a.topics.length ? ' <small>[' + a.topics.map(esc).join(', ') + ']</small>' : '') +
        '</li>',
    )
    .join('');
}
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
async function topicsPanel(q) {
  const { topics } = await json('/dashboard/topics?' + q);
  if (!topics.topics.length)
    return none(
      'topics',
      'No review in this range carries a complaint topic (topics come from the taxonomy at scoring time).',
    );
  chart(
    'topics',
    {
      series: [
        {},
        ...topics.topics.map((s, k) => ({
          label: s.topic + ' (' + s.total + ')',
          stroke: PALETTE[k % PALETTE.length],
          width: 1.6,
          points: { show: topics.t.length < 60 },
        })),
      ],
      axes: [{}, { label: 'reviews' }],
    },
    [topics.t.map((t) => t / 1000), ...topics.topics.map((s) => s.counts)],
  );
}
async function appVersionsPanel(q) {
  const { apps } = await json('/dashboard/app-versions?' + q);
  const rows = apps.flatMap((a) => a.versions.map((v) => ({ app: a.app_id, v })));
  if (!rows.length)
    return empty(
      $('appversions'),
      'No review in this range carries an app version (the scrapers fill it in from the stores).',
    );
  const change = (x) =>
    x == null ? '' : ' <small class="' + (x > 0 ? 'up' : 'down') + '">' + signed(x) + '</small>';
  $('appversions').innerHTML =
    '<table><tr><th>app</th><th>version</th><th>reviews</th><th>negative</th><th>top topics</th></tr>' +
    rows
      .map(
        ({ app, v }) =>
          '<tr><td>' +
          esc(app) +
          '</td><td>' +
          esc(v.app_version) +
          '<br><small class="muted">since ' +
          when(v.first_seen) +
          (v.previous_version ? ', vs ' + esc(v.previous_version) : '') +
          '</small></td><td>' +
          v.reviews +
          '</td><td>' +
          pct(v.negative_share) +
          change(v.negative_change) +
          '</td><td>' +
          v.topics.map((t) => esc(t.topic) + ' ' + pct(t.share) + change(t.change)).join('<br>') +
          '</td></tr>',
      )
      .join('') +
    '</table>';
  $('appversions').dataset.count = String(rows.length);
}
async function emergingPanel(q) {
  const { emerging } = await json('/dashboard/emerging?' + q);
  const span = (ms) => (ms < 172800000 ? Math.round(ms / 3600000) + ' h' : Math.round(ms / 86400000) + ' d');
  $('emerging-span').textContent =
    '(last ' +
    span(emerging.to - emerging.recent_from) +
    ' against the ' +
    span(emerging.recent_from - emerging.baseline_from) +
    ' before)';
  const apps = emerging.apps.filter((a) => a.terms.length);
  if (!apps.length) {
    const n = emerging.apps.length;
    return empty(
      $('emerging'),
      n
        ? 'Nothing rises in ' +
            n +
            ' app(s): no word\\u2019s share of recent negative reviews is significantly above its baseline.'
        : 'No negative reviews in this range.',
    );
  }
  $('emerging').innerHTML =
    '<div class="emerging">' +
    apps
      .map(
        (a) =>
          '<div><b>' +
          esc(a.app_id) +
          '</b> <small class="muted">(' +
          a.recent_reviews +
          ' recent, ' +
          a.baseline_reviews +
          ' baseline)</small><ol>' +
          a.terms
            .map(
              (t) =>
                '<li>' +
                esc(t.term) +
                ' <small>' +
                pct(t.baseline_share) +
                ' \\u2192 ' +
                pct(t.recent_share) +
                ', z ' +
                t.z.toFixed(1) +
                '</small></li>',
            )
            .join('') +
          '</ol></div>',
      )
      .join('') +
    '</div>';
  $('emerging').dataset.count = String(apps.reduce((s, a) => s + a.terms.length, 0));
}
async function driftPanel(q, events) {
  const { windows } = await json('/dashboard/drift?' + q);
  $('events').innerHTML = events
    .slice(-12)
    .reverse()
    .map((e) => '<li class="k-' + e.kind + '">' + when(e.at) + ' ' + esc(e.label) + '</li>')
    .join('');
  $('events').dataset.count = String(events.length);
  if (!windows.length) {
    $('verdict').textContent = '';
    return none(
      'drift',
      'No tested drift window in this range yet: windows are tested once a reference period of traffic ' +
        'has passed (DRIFT_REFERENCE_PERIOD).',
    );
  }
  const times = [...new Set(windows.map((w) => w.t))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  // The features worth a line: the strongest effects of the range, and every one a verdict named.
  const peak = {};
  for (const w of windows)
    for (const [f, v] of Object.entries(w.effects)) peak[f] = Math.max(peak[f] || 0, v);
  const named = new Set(windows.flatMap((w) => w.drifted_features));
  const features = Object.keys(peak)
    .sort((a, b) => peak[b] - peak[a])
    .filter((f, k) => k < 6 || named.has(f));
  const series = features.map((f) => times.map(() => null));
  for (const w of windows)
    features.forEach((f, k) => {
      const v = w.effects[f],
        i = at.get(w.t);
      if (v != null && (series[k][i] == null || v > series[k][i])) series[k][i] = v;
    });
  const drifted = windows.filter((w) => w.drifted),
    step = times.length > 1 ? times[1] - times[0] : 3600000;
  const segments = new Set(windows.map((w) => w.segment));
  $('verdict').innerHTML =
    '<b>' +
    drifted.length +
    '</b> of ' +
    windows.length +
    ' tested windows drifted' +
    (segments.size === 1
      ? ' (segment ' + esc([...segments][0]) + ')'
      : ' (' + segments.size + ' segments: all apps and each app)') +
    (drifted.length
      ? ': ' +
        drifted
          .slice(-3)
          .reverse()
          .map(
            (w) => when(w.t) + ' ' + esc(w.segment) + ': ' + esc(w.reason || w.drifted_features.join(', ')),
          )
          .join('; ')
      : '; the effects below stay within the noise.');
  $('verdict').dataset.count = String(drifted.length);
  const count = (f) => windows.filter((w) => w.drifted_features.includes(f)).length;
  chart(
    'drift',
    {
      series: [
        {},
        ...features.map((f, k) => ({
          label: f + (count(f) ? ' (drifted \\u00d7' + count(f) + ')' : ''),
          stroke: PALETTE[k % PALETTE.length],
          width: named.has(f) ? 2.2 : 1.2,
          spanGaps: true,
        })),
        { label: 'moderate 0.1', stroke: '#e67e22', dash: [6, 4], width: 1 },
        { label: 'major 0.25', stroke: '#c0392b', dash: [6, 4], width: 1 },
      ],
      axes: [{}, { label: 'PSI' }],
    },
    [times.map((t) => t / 1000), ...series, times.map(() => 0.1), times.map(() => 0.25)],
    eventLines(events),
    drifted.map((w) => ({ from: w.t - step, to: w.t, color: '#c0392b26' })),
  );
}
async function negativesPanel(q) {
  const { reviews } = await json('/dashboard/negatives?' + q);
  if (!reviews.length) return empty($('negatives'), 'No negative reviews in this range.');
  $('negatives').innerHTML =
    '<table><tr><th>when</th><th>app</th><th>conf.</th><th>review</th></tr>' +
    reviews
      .map(
        (r) =>
          '<tr><td>' +
          new Date(r.created_at).toISOString().slice(0, 16).replace('T', ' ') +
          '</td><td>' +
          esc(r.app_id) +
          '</td><td>' +
          (100 * r.confidence).toFixed(0) +
          '%</td><td>' +
          esc(r.text.slice(0, 220)) +
          '</td></tr>',
      )
      .join('') +
    '</table>';
  $('negatives').dataset.count = String(reviews.length);
}
async function termsPanel(q) {
  const { terms } = await json('/dashboard/terms?' + q);
  const n = terms.negative.length + terms.neutral.length + terms.positive.length;
  if (!n) return empty($('terms'), 'Not enough reviews in this range to tell words apart.');
  const col = (k, cls) =>
    '<div><b class="' +
    cls +
    '">' +
    k +
    '</b><ol>' +
    terms[k].map((t) => '<li>' + esc(t.term) + ' <small>(' + t.n + ')</small></li>').join('') +
    '</ol></div>';
  $('terms').innerHTML =
    '<div class="terms">' +
    col('negative', 'neg') +
    col('neutral', 'neu') +
    col('positive', 'pos') +
    '</div>';
  $('terms').dataset.count = String(n);
}
const metric = (m, k) => (m[k] == null ? '' : Number(m[k]).toFixed(3));
async function versionsPanel() {
  const { versions } = await json('/dashboard/versions');
  if (!versions.length)
    return empty(
      $('versions'),
      'No registered version yet: the launcher registers the start-up package on its first run ' +
        '(LAUNCHER_BOOTSTRAP_MODEL_DIR), or retrain.',
    );
  $('versions').innerHTML =
    '<table><tr><th>version</th><th>stage</th><th>accuracy</th><th>macro-F1</th>' +
    '<th>history</th><th>report</th><th></th></tr>' +
    versions
      .map(
        (v) =>
          '<tr><td>v' +
          v.version +
          '</td><td>' +
          esc(v.stage) +
          '</td><td>' +
          metric(v.metrics, 'accuracy') +
          '</td><td>' +
          metric(v.metrics, 'macro_f1') +
          '</td><td>' +
          v.history
            .map(
              (h) =>
                esc(h.stage) +
                ' ' +
                new Date(h.at).toISOString().slice(0, 16).replace('T', ' ') +
                ' <small>(' +
                esc(h.reason) +
                ')</small>',
            )
            .join('<br>') +
          '</td><td class="reports" data-run="' +
          esc(v.run_id || '') +
          '" data-files="' +
          esc(v.reports.filter((f) => f.endsWith('.svg')).join(',')) +
          '"></td><td>' +
          (v.stage === 'Production' ? '' : '<button data-promote="' + v.version + '">Promote</button>') +
          '</td></tr>',
      )
      .join('') +
    '</table>';
  $('versions').dataset.count = String(versions.length);
  for (const td of document.querySelectorAll('td.reports'))
    for (const f of td.dataset.files.split(',').filter(Boolean)) {
      // Images cannot send a bearer token: fetched with it, then shown from a blob URL
      // (an <img> runs no script).
      const r = await fetch('/runs/' + td.dataset.run + '/' + f, { headers: auth() });
      if (r.ok)
        td.insertAdjacentHTML(
          'beforeend',
          '<img alt="' + f + '" src="' + URL.createObjectURL(await r.blob()) + '">',
        );
    }
}
async function refresh() {
  const s = await json('/stats');
  $('model').textContent = 'model: ' + s.model.name + ' v' + s.model.version;
  const { apps } = await json('/dashboard/apps?from=0&to=' + Date.now());
  const chosen = $('app').value;
  $('app').innerHTML =
    '<option value="">all apps</option>' +
    apps
      .map(
        (a) =>
          '<option value="' +
          esc(a.app_id) +
          '"' +
          (a.app_id === chosen ? ' selected' : '') +
          '>' +
          esc(a.app_id) +
          ' (' +
          a.reviews +
          ')</option>',
      )
      .join('');
  const q = filter();
  const { events } = await json('/dashboard/timeline?' + q);
  await Promise.all([
    sentimentPanel(q, events),
    driftPanel(q, events),
    topicsPanel(q),
    appVersionsPanel(q),
    emergingPanel(q),
    negativesPanel(q),
    termsPanel(q),
    versionsPanel(),
  ]);
  document.body.dataset.ready = String(Date.now());
}
const show = () =>
  refresh().then(
    () => ($('error').textContent = ''),
    (e) => ($('error').textContent = e.message),
  );
$('predict').onclick = async () => {
  try {
    const p = await post('/predict', { text: $('text').value });
    $('result').innerHTML =
      '<b class="' +
      p.label.slice(0, 3) +
      '">' +
      p.label +
      '</b> (' +
      (100 * p.confidence).toFixed(1) +
      '%), model v' +
      esc(p.model_version);
  } catch (e) {
    $('result').textContent = e.message;
  }
};
$('rollback').onclick = () =>
  post('/models/rollback').then(show, (e) => ($('error').textContent = e.message));
$('retrain').onclick = () =>
  post('/retrain', $('reason').value ? { reason: $('reason').value } : {}).then(
    (r) => {
      $('error').textContent = 'retrain requested: ' + r.request_id;
    },
    (e) => ($('error').textContent = e.message),
  );
$('versions').onclick = (ev) => {
  const v = ev.target.dataset && ev.target.dataset.promote;
  if (v) post('/models/' + v + '/promote').then(show, (e) => ($('error').textContent = e.message));
};
$('app').onchange = show;
$('range').onchange = show;
$('signin').onclick = () => {
  sessionStorage.setItem('ulasan-token', $('token').value.trim());
  $('token').value = '';
  show();
};
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
