// The soak's pure parts: Prometheus text, the drained-past-backlog rule for lag recovery, the report.
import { describe, expect, it } from 'vitest';
import { markdownTable, rssGrowth, svgChart } from '../../scripts/soak/report.js';
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

  it('judges RSS growth on the process sampled at the end, after its own warm-up if it restarted late', () => {
    const row = (minute: number, rssMb: number | null, processStartMinute: number) => ({
      minute,
      rssMb,
      processStartMinute,
    });
    // The planned kill inside the warm-up: the rule as before, from minute 5.
    const planned = [row(4, 600, 2.4), row(5, 650, 2.4), row(6, null, 2.4), row(30, 700, 2.4)];
    expect(rssGrowth(planned, 5)).toMatchObject({ baseMb: 650, endMb: 700, baseMinute: 5, restartedAtMinute: null });
    expect(rssGrowth(planned, 5)!.percent).toBeCloseTo(7.69, 2);
    // A process replaced at minute 15: the first one's samples are not its growth.
    const replaced = [row(5, 675, 0), row(14, 610, 0), row(16, 900, 15.1), row(21, 787, 15.1), row(30, 770, 15.1)];
    expect(rssGrowth(replaced, 5)).toMatchObject({ baseMb: 787, endMb: 770, baseMinute: 21, restartedAtMinute: 15.1 });
    expect(rssGrowth([row(3, 500, 0)], 5)).toBeNull();
  });
});
