// A readable report per training run: Markdown with the confusion matrix and learning curve as SVG.
// Pure: strings in, strings out.
import type { GateCheck } from './gate.js';

export interface RunReportInput {
  runId: string;
  modelName: string;
  status: string;
  reason: string;
  params: Record<string, string>;
  datasetHash: string;
  trainRows: number;
  validRows: number;
  gitSha: string | null;
  seconds: number;
  metrics: Record<string, unknown>;
  labels: string[];
  confusion: number[][];
  /** Per model of the ensemble, per epoch. */
  history: { epoch: number; train_loss: number; dev_macro_f1: number }[][];
  modelVersion: number | null;
  /** The promotion gate's checks (absent: a run that was not gated). */
  gate?: { checks: GateCheck[]; confidence: number; rows: number; validHash: string } | null;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function confusionSvg(labels: string[], m: number[][]): string {
  const cell = 70;
  const pad = 90;
  const max = Math.max(1, ...m.flat());
  const cells = m
    .flatMap((row, i) =>
      row.map((v, j) => {
        const shade = Math.round(255 - (200 * v) / max);
        return (
          `<rect x="${pad + j * cell}" y="${pad + i * cell}" width="${cell}" height="${cell}" ` +
          `fill="rgb(${shade},${shade},255)" stroke="#fff"/>` +
          `<text x="${pad + j * cell + cell / 2}" y="${pad + i * cell + cell / 2 + 5}" ` +
          `text-anchor="middle" font-size="14">${v}</text>`
        );
      }),
    )
    .join('');
  const axes = labels
    .map(
      (l, i) =>
        `<text x="${pad - 8}" y="${pad + i * cell + cell / 2 + 5}" text-anchor="end" font-size="12">${esc(l)}</text>` +
        `<text x="${pad + i * cell + cell / 2}" y="${pad - 10}" text-anchor="middle" font-size="12">${esc(l)}</text>`,
    )
    .join('');
  const size = pad + labels.length * cell + 20;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" font-family="sans-serif">` +
    `<text x="${pad}" y="20" font-size="13">rows: true label, columns: predicted</text>${axes}${cells}</svg>`
  );
}

export function learningCurveSvg(history: { epoch: number; train_loss: number; dev_macro_f1: number }[][]): string {
  const w = 480;
  const h = 260;
  const pad = 40;
  const epochs = Math.max(1, ...history.flat().map((r) => r.epoch));
  const maxLoss = Math.max(1e-9, ...history.flat().map((r) => r.train_loss));
  const x = (e: number): number => pad + ((e - 1) / Math.max(1, epochs - 1)) * (w - 2 * pad);
  const yF1 = (v: number): number => h - pad - v * (h - 2 * pad);
  const yLoss = (v: number): number => h - pad - (v / maxLoss) * (h - 2 * pad);
  const lines = history
    .map(
      (run) =>
        `<polyline fill="none" stroke="#2a7" stroke-width="2" ` +
        `points="${run.map((r) => `${x(r.epoch)},${yF1(r.dev_macro_f1)}`).join(' ')}"/>` +
        `<polyline fill="none" stroke="#c44" stroke-width="1.5" stroke-dasharray="4 3" ` +
        `points="${run.map((r) => `${x(r.epoch)},${yLoss(r.train_loss)}`).join(' ')}"/>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#333"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#333"/>`,
    `<text x="${w / 2}" y="${h - 8}" text-anchor="middle" font-size="12">epoch (1-${epochs})</text>`,
    `<text x="${pad + 4}" y="${pad - 10}" font-size="12" fill="#2a7">dev macro-F1 (0-1)</text>`,
    `<text x="${w - pad}" y="${pad - 10}" text-anchor="end" font-size="12" fill="#c44">train loss (scaled)</text>`,
    `${lines}</svg>`,
  ].join('');
}

export function runReportMarkdown(r: RunReportInput): string {
  const num = (k: string): string => (typeof r.metrics[k] === 'number' ? (r.metrics[k] as number).toFixed(4) : 'n/a');
  const perClass = (r.metrics.per_class ?? {}) as Record<
    string,
    { precision: number; recall: number; f1: number; support: number }
  >;
  return [
    `# Training run ${r.runId}`,
    '',
    `- model: ${r.modelName}${r.modelVersion !== null ? ` (registered as version ${r.modelVersion})` : ''}`,
    `- status: **${r.status}**: ${r.reason}`,
    `- duration: ${r.seconds.toFixed(1)} s; code version: ${r.gitSha ?? 'unknown'}`,
    `- data set: ${r.trainRows} training rows, ${r.validRows} validation rows, sha256 ${r.datasetHash}`,
    `- params: ${Object.entries(r.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    '',
    '## Validation metrics',
    '',
    `| accuracy | macro-F1 | ECE |`,
    `| --- | --- | --- |`,
    `| ${num('accuracy')} | ${num('macro_f1')} | ${num('ece')} |`,
    '',
    '| class | precision | recall | F1 | support |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(perClass).map(
      ([l, c]) => `| ${l} | ${c.precision.toFixed(3)} | ${c.recall.toFixed(3)} | ${c.f1.toFixed(3)} | ${c.support} |`,
    ),
    '',
    ...gateSection(r.gate ?? null),
    '## Confusion matrix',
    '',
    '![confusion matrix](confusion.svg)',
    '',
    '## Learning curve',
    '',
    '![learning curve](learning-curve.svg)',
    '',
  ].join('\n');
}

const cell = (v: number | null, signed = false): string =>
  v === null ? '' : `${signed && v >= 0 ? '+' : ''}${v.toFixed(4)}`;

/** The gate's table rows: check, against, candidate, reference, estimate, bound, rule, outcome. */
export function gateRows(checks: GateCheck[]): string[][] {
  return checks.map((c) => [
    c.check,
    c.against,
    cell(c.candidate),
    cell(c.reference),
    cell(c.estimate, !c.id.startsWith('invariance')),
    cell(c.bound, !c.id.startsWith('invariance')),
    `${c.bound === null && c.estimate !== null && !c.id.startsWith('invariance') ? 'point' : 'bound'} ` +
      `${c.op} ${c.limit}`,
    c.note ? `${c.outcome} (${c.note})` : c.outcome,
  ]);
}

const GATE_HEADER = ['check', 'against', 'candidate', 'reference', 'estimate (Δ)', 'bound', 'rule', 'outcome'];

function gateSection(g: RunReportInput['gate'] | null): string[] {
  if (!g) return [];
  const pct = Math.round(g.confidence * 100);
  return [
    '## Promotion gate',
    '',
    `Candidate and reference scored on the same ${g.rows} validation rows (sha256 ${g.validHash}); Δ is ` +
      `candidate minus reference; bounds are one-sided ${pct} % paired-bootstrap bounds (the lower one for ` +
      'macro-F1 and accuracy, the upper one for ECE). Per-row predictions: gate-rows.csv.',
    '',
    `| ${GATE_HEADER.join(' | ')} |`,
    `| ${GATE_HEADER.map(() => '---').join(' | ')} |`,
    ...gateRows(g.checks).map((r) => `| ${r.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`),
    '',
  ];
}

/** The gate's table as an image (the status page shows a run's SVG reports). */
export function gateSvg(checks: GateCheck[], title: string): string {
  const widths = [300, 230, 70, 70, 90, 90, 110, 170];
  const rowH = 20;
  const rows = gateRows(checks);
  const w = widths.reduce((a, b) => a + b, 0) + 20;
  const h = 50 + rowH * (rows.length + 1);
  const x = (j: number): number => 10 + widths.slice(0, j).reduce((a, b) => a + b, 0);
  const line = (cells: string[], i: number, bold: boolean): string =>
    cells
      .map((v, j) => {
        const colour =
          j === 7 ? (v.startsWith('fail') ? '#c0392b' : v.startsWith('pass') ? '#27ae60' : '#7f8c8d') : '#1d2330';
        const text = v.length > widths[j]! / 6.2 ? `${v.slice(0, Math.floor(widths[j]! / 6.2) - 1)}…` : v;
        const weight = bold ? ' font-weight="bold"' : '';
        return (
          `<text x="${x(j)}" y="${45 + i * rowH}" font-size="12" fill="${colour}"${weight}>` +
          `<title>${esc(v)}</title>${esc(text)}</text>`
        );
      })
      .join('');
  const body = [line(GATE_HEADER, 0, true), ...rows.map((r, i) => line(r, i + 1, false))].join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">` +
    `<rect width="${w}" height="${h}" fill="#fff"/><text x="10" y="20" font-size="13">${esc(title)}</text>${body}</svg>`
  );
}
