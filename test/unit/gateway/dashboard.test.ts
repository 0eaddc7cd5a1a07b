// The arithmetic behind the status page's panels: drift scores on one scale, distinctive words,
// versions folded from their stage history.
import { describe, expect, it } from 'vitest';
import { driftScore, type TermCount } from '../../../gateway/dashboard-queries.js';
import { filterOf, versionPanels } from '../../../gateway/dashboard.js';
import { distinctiveTerms } from '../../../gateway/terms.js';

describe('status page panels', () => {
  it('scores every drift test 1 at its threshold and above 1 when drifted', () => {
    expect(driftScore({ p_value: 0.05, threshold: 0.05 })).toBeCloseTo(1, 9);
    expect(driftScore({ p_value: 0.001, threshold: 0.05 })).toBeGreaterThan(1);
    expect(driftScore({ p_value: 0.5, threshold: 0.05 })).toBeLessThan(1);
    expect(driftScore({ p_value: 0.05 })).toBeCloseTo(1, 9); // rows written before the threshold was stored
    expect(driftScore({ statistic: 0.2, p_value: null, threshold: 0.1 })).toBeCloseTo(2, 9);
    expect(driftScore({ p_value: 0, threshold: 0.05 })).toBe(10); // capped, so one window does not flatten the chart
  });

  it('ranks words that set one sentiment apart, not the merely frequent ones, and drops stopwords', () => {
    const counts: TermCount[] = [
      { label: 'negative', term: 'error', n: 40 },
      { label: 'positive', term: 'error', n: 2 },
      { label: 'negative', term: 'aplikasi', n: 50 },
      { label: 'positive', term: 'aplikasi', n: 50 },
      { label: 'positive', term: 'mantap', n: 30 },
      { label: 'negative', term: 'yang', n: 90 },
      { label: 'neutral', term: 'lumayan', n: 5 },
    ];
    const t = distinctiveTerms(counts, 2);
    expect(t.negative[0]!.term).toBe('error');
    expect(t.positive[0]!.term).toBe('mantap');
    expect(t.neutral[0]!.term).toBe('lumayan');
    expect([...t.negative, ...t.positive].map((x) => x.term)).not.toContain('yang');
    expect(t.negative.map((x) => x.term).indexOf('aplikasi')).not.toBe(0);
    expect(distinctiveTerms([], 3)).toEqual({ negative: [], neutral: [], positive: [] });
  });

  it('folds a stage history into one row per version, newest first, with its run reports', () => {
    const row = (version: number, stage: string, at: number, run: string | null = null) => ({
      version,
      stage,
      at,
      reason: `${stage} reason`,
      actor: 'a',
      run_id: run,
      metrics: (stage === 'Staging' || stage === 'None' ? { accuracy: 0.9 } : {}) as Record<string, number>,
    });
    const panels = versionPanels(
      [
        row(1, 'None', 1),
        row(1, 'Production', 2),
        row(1, 'Archived', 5),
        row(2, 'Staging', 4, 'r2'),
        row(2, 'Production', 5, 'r2'),
      ],
      (run, file) => run === 'r2' && file === 'confusion.svg',
    );
    expect(panels.map((p) => [p.version, p.stage])).toEqual([
      [2, 'Production'],
      [1, 'Archived'],
    ]);
    expect(panels[0]).toMatchObject({ run_id: 'r2', reports: ['confusion.svg'], metrics: { accuracy: 0.9 } });
    expect(panels[1]!.history.map((h) => h.stage)).toEqual(['None', 'Production', 'Archived']);
  });

  it('defaults to the last 30 days, hourly up to 3 days, and refuses an empty range', () => {
    expect(filterOf({}, 100 * 86_400_000)).toEqual({
      app: null,
      from: 70 * 86_400_000,
      to: 100 * 86_400_000,
      bucket: 'day',
    });
    expect(filterOf({ from: 0, to: 3 * 86_400_000 }).bucket).toBe('hour');
    expect(() => filterOf({ from: 5, to: 5 })).toThrow(/before/);
  });
});
