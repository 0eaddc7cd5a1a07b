// The arithmetic behind the status page's panels: drift scores on one scale and effect sizes,
// distinctive words, versions folded from their stage history, app releases against the previous
// one, topic series and the emerging-words split.
import { describe, expect, it } from 'vitest';
import { driftEffect, driftScore, type TermCount } from '../../../gateway/dashboard-queries.js';
import { appVersions, recentStart, topicSeries } from '../../../gateway/dashboard-insights.js';
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

  it('shows drift effect sizes as PSI, never negative or unbounded', () => {
    expect(driftEffect({ psi: 0.18, p_value: 1e-40 })).toBeCloseTo(0.18, 9);
    expect(driftEffect({ psi: -0.001 })).toBe(0);
    expect(driftEffect({ psi: 40 })).toBe(2);
    expect(driftEffect({ psi: Number.POSITIVE_INFINITY })).toBe(2);
    expect(driftEffect({})).toBe(0);
  });

  it('compares each app release with the one released before it, newest first', () => {
    const row = (app_version: string, first_seen: number, reviews: number, negative: number) => ({
      app_id: 'a',
      app_version,
      reviews,
      negative,
      neutral: 0,
      positive: reviews - negative,
      first_seen,
      last_seen: first_seen + 10,
    });
    // 2.10.0 came after 2.9.0 although it sorts before it as text: release order is first-seen order.
    const apps = appVersions(
      [row('2.10.0', 300, 50, 30), row('2.9.0', 200, 100, 20), row('2.8.0', 100, 10, 1)],
      [
        { app_id: 'a', app_version: '2.10.0', topic: 'crash', n: 25 },
        { app_id: 'a', app_version: '2.9.0', topic: 'crash', n: 5 },
        { app_id: 'a', app_version: '2.9.0', topic: 'ads', n: 9 },
      ],
      2,
    );
    expect(apps).toHaveLength(1);
    const [latest, previous] = apps[0]!.versions;
    expect(apps[0]!.versions).toHaveLength(2);
    expect(latest).toMatchObject({ app_version: '2.10.0', previous_version: '2.9.0', negative_share: 0.6 });
    expect(latest!.negative_change).toBeCloseTo(0.4, 9);
    expect(latest!.topics).toEqual([{ topic: 'crash', reviews: 25, share: 0.5, change: 0.45 }]);
    expect(previous!.topics.map((t) => t.topic)).toEqual(['ads', 'crash']);
    expect(previous!.previous_version).toBe('2.8.0');
  });

  it('aligns topic counts on the buckets with reviews and keeps the most frequent topics', () => {
    const s = topicSeries(
      [
        { t: 1, n: 10 },
        { t: 2, n: 20 },
      ],
      [
        { t: 1, topic: 'payment', n: 2 },
        { t: 2, topic: 'payment', n: 9 },
        { t: 2, topic: 'ads', n: 1 },
        { t: 3, topic: 'ads', n: 99 }, // a bucket without reviews in the totals: not shown
      ],
      1,
    );
    expect(s).toEqual({ t: [1, 2], reviews: [10, 20], topics: [{ topic: 'payment', total: 11, counts: [2, 9] }] });
  });

  it('takes the last quarter of the range as recent, between an hour and a week', () => {
    const day = 86_400_000;
    expect(recentStart({ app: null, from: 0, to: 28 * day, bucket: 'day' })).toBe(21 * day);
    expect(recentStart({ app: null, from: 0, to: 365 * day, bucket: 'day' })).toBe(358 * day);
    expect(recentStart({ app: null, from: 0, to: 2 * 3_600_000, bucket: 'hour' })).toBe(3_600_000);
    expect(recentStart({ app: null, from: 0, to: 1000, bucket: 'hour' })).toBe(0);
  });
});
