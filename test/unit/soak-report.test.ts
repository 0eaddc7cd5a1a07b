// The soak's pure parts: Prometheus text, the drained-past-backlog rule for lag recovery, the report.
import { describe, expect, it } from 'vitest';
import { markdownTable, svgChart } from '../../scripts/soak/report.js';
import { drainedPast, parsePrometheus, type GroupLag } from '../../scripts/soak/sample.js';

describe('soak sampling and report', () => {
  it('sums a metric over its labelled series and skips comments', () => {
    const m = parsePrometheus(
      [
        '# HELP ulasan_scoring_dead_lettered_total x',
        'ulasan_scoring_dead_lettered_total{code="NOT_AVRO"} 3',
        'ulasan_scoring_dead_lettered_total{code="DECODE_FAILED"} 4',
        'ulasan_process_resident_memory_bytes 1048576',
        'ulasan_nodejs_eventloop_lag_p99_seconds 0.012',
      ].join('\n'),
    );
    expect(m.get('ulasan_scoring_dead_lettered_total')).toBe(7);
    expect(m.get('ulasan_process_resident_memory_bytes')).toBe(1048576);
  });

  it('calls a backlog drained only once every partition committed past its old end offset', () => {
    const lag = (committed: number[], ends: number[]): GroupLag => ({
      group: 'g',
      lag: 0,
      ends: { t: ends },
      committed: { t: committed },
    });
    const before = lag([10, 20], [50, 60]);
    expect(drainedPast(lag([50, 59], [80, 90]), before)).toBe(false);
    expect(drainedPast(lag([50, 60], [80, 90]), before)).toBe(true);
  });

  it('writes one table row a minute and an SVG with the faults marked', () => {
    const row = { minute: 1, sent: 60, rssMb: 300, heapUsedMb: 80, eventLoopP99Ms: 12.3, eventLoopMaxMs: 40 };
    const table = markdownTable(
      [{ ...row, lag: { 'ulasan-scoring.soak-1': 5 }, errors: 0, note: 'kill' }],
      ['ulasan-scoring.soak-1'],
    );
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('| lag scoring |');
    expect(table).toContain('| 1 | 60 | 300 | 80 | 12.3 | 40 | 5 | 0 | kill |');
    const svg = svgChart(
      [
        { minute: 0, rssMb: 290, heapUsedMb: 70, lag: 10 },
        { minute: 1, rssMb: null, heapUsedMb: null, lag: 0 },
      ],
      [{ atMinute: 0.5, kind: 'kill' }],
    );
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('>kill</text>');
  });
});
