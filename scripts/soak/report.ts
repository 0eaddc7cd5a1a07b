// The soak's report: a Markdown table (one row a minute) and a small hand-drawn SVG chart (no chart
// library in the dependencies renders outside a browser; uPlot needs a DOM), with the faults marked.

export interface MinuteRow {
  minute: number;
  sent: number;
  rssMb: number | null;
  heapUsedMb: number | null;
  eventLoopP99Ms: number | null;
  eventLoopMaxMs: number | null;
  lag: Record<string, number>;
  errors: number;
  note: string;
}

export interface FaultResult {
  kind: string;
  atMinute: number;
  /** Seconds from the fault's end until every group had drained past its backlog; null: never. */
  recoverySeconds: number | null;
  peakLag: number;
}

const fmt = (n: number | null, digits = 0): string => (n === null ? '–' : n.toFixed(digits));

export function markdownTable(rows: MinuteRow[], groups: string[]): string {
  const short = groups.map((g) => g.replace(/^ulasan-/, '').replace(/\..*$/, ''));
  const head = ['min', 'sent', 'RSS MB', 'heap MB', 'loop p99 ms', 'loop max ms', ...short.map((g) => `lag ${g}`)];
  const lines = [`| ${[...head, 'errors', 'event'].join(' | ')} |`, `|${' --- |'.repeat(head.length + 2)}`];
  for (const r of rows) {
    const cells = [
      String(r.minute),
      String(r.sent),
      fmt(r.rssMb),
      fmt(r.heapUsedMb),
      fmt(r.eventLoopP99Ms, 1),
      fmt(r.eventLoopMaxMs, 0),
      ...groups.map((g) => String(r.lag[g] ?? '–')),
      String(r.errors),
      r.note,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

interface Series {
  label: string;
  color: string;
  points: [number, number | null][];
}

function polyline(s: Series, x: (m: number) => number, y: (v: number) => number): string {
  const parts: string[] = [];
  let run: string[] = [];
  for (const [m, v] of s.points) {
    if (v === null) {
      if (run.length) parts.push(run.join(' '));
      run = [];
    } else run.push(`${x(m).toFixed(1)},${y(v).toFixed(1)}`);
  }
  if (run.length) parts.push(run.join(' '));
  return parts.map((p) => `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${p}"/>`).join('');
}

/** Two panels over the same minutes: memory (RSS, heap) and total consumer lag, faults as lines. */
export function svgChart(
  samples: { minute: number; rssMb: number | null; heapUsedMb: number | null; lag: number }[],
  faults: { atMinute: number; kind: string }[],
): string {
  const W = 720;
  const H = 200;
  const left = 50;
  const maxMin = Math.max(1, ...samples.map((s) => s.minute));
  const x = (m: number): number => left + (m / maxMin) * (W - left - 10);
  const panel = (top: number, title: string, series: Series[]): string => {
    const vals = series.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null));
    const max = Math.max(1, ...vals) * 1.1;
    const y = (v: number): number => top + H - 20 - (v / max) * (H - 40);
    const legend = series
      .map((s, i) => `<text x="${left + 150 + i * 110}" y="${top + 14}" fill="${s.color}">${s.label}</text>`)
      .join('');
    return (
      `<text x="${left}" y="${top + 14}" font-weight="bold">${title}</text>${legend}` +
      `<line x1="${left}" y1="${y(0)}" x2="${W - 10}" y2="${y(0)}" stroke="#999"/>` +
      `<text x="4" y="${y(max / 1.1) + 4}">${Math.round(max / 1.1)}</text><text x="4" y="${y(0) + 4}">0</text>` +
      series.map((s) => polyline(s, x, y)).join('')
    );
  };
  const mem = panel(0, 'memory (MB)', [
    { label: 'RSS', color: '#1f77b4', points: samples.map((s) => [s.minute, s.rssMb]) },
    { label: 'heap used', color: '#2ca02c', points: samples.map((s) => [s.minute, s.heapUsedMb]) },
  ]);
  const lag = panel(H, 'consumer lag (records, all groups)', [
    { label: 'lag', color: '#d62728', points: samples.map((s) => [s.minute, s.lag]) },
  ]);
  const marks = faults
    .map(
      (f) =>
        `<line x1="${x(f.atMinute)}" y1="20" x2="${x(f.atMinute)}" y2="${2 * H - 20}" ` +
        `stroke="#ff7f0e" stroke-dasharray="4 3"/>` +
        `<text x="${x(f.atMinute) + 2}" y="${2 * H - 6}" fill="#ff7f0e">${f.kind}</text>`,
    )
    .join('');
  const axis =
    `<text x="${W - 60}" y="${2 * H + 12}">minutes</text><text x="${left}" y="${2 * H + 12}">0</text>` +
    `<text x="${x(maxMin) - 10}" y="${2 * H + 12}">${maxMin}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 20}" ` +
    `font-family="sans-serif" font-size="11">` +
    `<rect width="100%" height="100%" fill="white"/>${mem}${lag}${marks}${axis}</svg>\n`
  );
}
