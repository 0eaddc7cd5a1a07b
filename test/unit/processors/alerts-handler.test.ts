// The alert path's pure parts: the beta-binomial test against direct sums, hostile sizes bounded
// (10,000 topic words, a 1 MB version string), quoted terms through the TermMatcher interface, the
// reason sentence, and config errors that name their variable.
import { describe, expect, it } from 'vitest';
import { parseAlertsConfig } from '../../../processors/alerts/config.js';
import { alertId, type AlertDraft } from '../../../processors/alerts/detector.js';
import {
  alertRecord,
  alertRow,
  boundedVersion,
  MAX_TOPICS_PER_REVIEW,
  MAX_VERSION_CHARS,
  observation,
} from '../../../processors/alerts/handler.js';
import {
  DEFAULT_TERMS,
  MAX_QUOTES,
  MAX_REASON_CHARS,
  MAX_TERM_CHARS,
  matcherFromTagger,
  patternMatcher,
  quotes,
  reasonOf,
} from '../../../processors/alerts/reason.js';
import { betaBinomialUpperTail, finding, shareTest } from '../../../processors/alerts/stats.js';
import { ConfigError } from '../../../platform/errors.js';
import { Watermark } from '../../../processors/alerts/watermark.js';
import { scored } from '../../alerts-sim.js';

const base = {
  review_id: 'r1',
  app_id: 'app.a',
  created_at: Date.UTC(2026, 5, 1),
  label: 'negative' as const,
  app_version: '1.2.3',
  topics: ['payment'],
  text: '',
};

describe('beta-binomial test', () => {
  it('matches a direct sum of the beta-binomial pmf', () => {
    // BetaBinomial(n=10, a=2, b=3): P(X >= 6) summed term by term with exact Beta functions.
    const beta = (a: number, b: number) => (gamma(a) * gamma(b)) / gamma(a + b);
    const choose = (n: number, k: number) => gamma(n + 1) / (gamma(k + 1) * gamma(n - k + 1));
    let direct = 0;
    for (let k = 6; k <= 10; k++) direct += (choose(10, k) * beta(k + 2, 10 - k + 3)) / beta(2, 3);
    expect(betaBinomialUpperTail(6, 10, 2, 3)).toBeCloseTo(direct, 10);
    expect(betaBinomialUpperTail(0, 10, 2, 3)).toBe(1);
    expect(betaBinomialUpperTail(11, 10, 2, 3)).toBe(0);
    expect(betaBinomialUpperTail(2, 10, 2, 3)).toBeCloseTo(1 - (1 - betaBinomialUpperTail(2, 10, 2, 3)), 12);
  });

  it('needs volume, effect and significance together', () => {
    const t = { alpha: 0.001, minEffect: 0.15, minReviews: 30, minCount: 8, minBaseline: 50, maxBaseline: 400 };
    const baseline = { k: 70, n: 500 };
    expect(finding({ k: 16, n: 30 }, baseline, t)).not.toBeNull();
    expect(finding({ k: 16, n: 29 }, baseline, t)).toBeNull(); // too few reviews
    expect(finding({ k: 16, n: 30 }, { k: 7, n: 49 }, t)).toBeNull(); // too thin a baseline
    expect(finding({ k: 80, n: 300 }, baseline, t)).toBeNull(); // significant, but under the minimum effect
    // A thin window and a thin baseline are weak evidence however large the share: 3 of 5 against
    // 1 of 10 is far from the 0.001 an alert needs.
    expect(shareTest({ k: 3, n: 5 }, { k: 1, n: 10 }).pValue).toBeGreaterThan(0.01);
  });

  it('caps the baseline: 50,000 baseline reviews weigh as 400', () => {
    const cur = { k: 30, n: 100 };
    expect(shareTest(cur, { k: 10_000, n: 50_000 }).pValue).toBeCloseTo(shareTest(cur, { k: 80, n: 400 }).pValue, 12);
  });
});

function gamma(z: number): number {
  // Integers and half-integers only are needed here: (z-1)! for integer z.
  let r = 1;
  for (let i = 2; i < z; i++) r *= i;
  return r;
}

describe('hostile inputs are bounded', () => {
  it('a review with 10,000 topic words counts at most a few taxonomy-shaped topics', () => {
    const topics = [
      ...Array.from({ length: 10_000 }, (_, i) => `topic_${i}`),
      'payment',
      'payment',
      'DROP TABLE',
      'x'.repeat(1000),
    ];
    const o = observation(scored({ ...base, topics }))!;
    expect(o.topics.length).toBe(MAX_TOPICS_PER_REVIEW);
    expect(new Set(o.topics).size).toBe(o.topics.length);
    expect(o.topics.every((t) => /^[a-z][a-z0-9_]{0,39}$/.test(t))).toBe(true);
  });

  it('an unknown version string of 1 MB is kept as a short prefix with its hash', () => {
    const huge = 'v'.repeat(1 << 20);
    const v = boundedVersion(huge)!;
    expect(v.length).toBeLessThanOrEqual(MAX_VERSION_CHARS);
    expect(v).not.toBe(boundedVersion(`${huge}x`)); // still one version each
    expect(boundedVersion('  \u0000 ')).toBeNull();
    expect(boundedVersion('5.2.0\n')).toBe('5.2.0');
    expect(observation(scored({ ...base, app_version: huge }))!.version).toBe(v);
  });

  it('quotes at most a few short terms from the start of a text, however long', () => {
    const matcher = patternMatcher(DEFAULT_TERMS);
    const text = `${'saldo terpotong '.repeat(5000)}${'pembayaran gagal '.repeat(5000)}`;
    const q = quotes(matcher, 'payment', [text, 'gagal bayar lagi', 'saldo kepotong terus']);
    // Only the first MAX_SCANNED_CHARS are read: the terms after them in the long text never count.
    expect(q).toEqual(['gagal bayar', 'saldo kepotong', 'saldo terpotong']);
    expect(q.length).toBeLessThanOrEqual(MAX_QUOTES);
    expect(q.every((t) => t.length <= MAX_TERM_CHARS)).toBe(true);
  });
});

describe('alert reason', () => {
  const draft: AlertDraft = {
    alertId: alertId('app.a', 'sentiment_turn', '', 0),
    appId: 'app.a',
    kind: 'sentiment_turn',
    status: 'open',
    version: null,
    topics: ['payment'],
    windowStart: 0,
    windowEnd: 86_400_000,
    baselineShare: 0.14,
    currentShare: 0.52,
    reviews: 312,
    statistic: 20,
    openedAt: 86_400_000,
    updatedAt: 86_400_000,
    detail: {
      measure: 'negative',
      topicShares: [{ topic: 'payment', share: 0.61 }],
      windowMs: 86_400_000,
      baselineReviews: 900,
    },
    samples: new Map(),
  };

  it('says the shares, the window, the topic and the quoted terms', () => {
    expect(reasonOf(draft, { payment: ['saldo terpotong', 'pembayaran gagal'] })).toBe(
      'negative 14 % → 52 % over 1 day (312 reviews), 61 % of them about payment: *saldo terpotong*, *pembayaran gagal*',
    );
  });

  it('takes its terms from any matcher: a custom term list, or the tagger through matcherFromTagger', () => {
    const mine = patternMatcher({ payment: ['dompet kosong'] });
    expect(quotes(mine, 'payment', ['dompet kosong setelah update'])).toEqual(['dompet kosong']);
    const tagger = matcherFromTagger((t): Record<string, string[]> =>
      t.includes('gopay') ? { payment: ['gopay error'] } : {},
    );
    expect(quotes(tagger, 'payment', ['gopay error lagi', 'bagus'])).toEqual(['gopay error']);
  });

  it('says which version regressed and by how much crash, and stays bounded', () => {
    const v: AlertDraft = {
      ...draft,
      kind: 'version_regression',
      version: '2.0.0',
      topics: ['crash'],
      reviews: 120,
      detail: {
        measure: 'crash',
        topicShares: [],
        negative: { baseline: 0.2, current: 0.55 },
        crash: { baseline: 0.02, current: 0.31 },
        previousVersion: '1.9.0',
        previousReviews: 800,
        windowMs: 8 * 86_400_000,
        baselineReviews: 800,
      },
    };
    expect(reasonOf(v, { crash: ['force close'] })).toBe(
      'version 2.0.0: crash 2 % → 31 % (*force close*), negative 20 % → 55 % vs 1.9.0 (120 vs 800 reviews)',
    );
    const long = reasonOf(
      { ...draft, detail: { ...draft.detail, topicShares: Array(100).fill(draft.detail.topicShares[0]) } },
      {},
    );
    expect(long.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
  });

  it('writes event-time rows only, so a replay writes the same row', () => {
    const a = alertRecord(draft, 'r');
    expect(alertRow(a)).toEqual(alertRow(alertRecord({ ...draft }, 'r')));
    expect(alertRow(a).opened_at).toBe('1970-01-02 00:00:00.000');
  });
});

describe('alerts config', () => {
  it('names the variable: windows must be whole buckets, a signed webhook needs its secret', () => {
    const err = (env: NodeJS.ProcessEnv) => {
      try {
        parseAlertsConfig(env);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('no error');
    };
    expect(err({ ALERTS_BUCKET: '6h', ALERTS_WINDOW: '9h' }).variables).toEqual(['ALERTS_WINDOW']);
    expect(err({ ALERTS_WEBHOOK_URL: 'http://127.0.0.1:1/x' }).variables).toEqual(['ALERTS_WEBHOOK_SECRET']);
    expect(err({ ALERTS_ALPHA: '2' }).variables).toContain('ALERTS_ALPHA');
  });
});

describe('event-time watermark', () => {
  it('is the slowest partition minus the lateness; a quiet partition stops holding only once read to its end', () => {
    const w = new Watermark(1000, 5000, [0, 1, 2], 0);
    w.saw(0, 100_000, 0);
    expect(w.at(10)).toBe(-Infinity); // partitions 1 and 2 have not delivered
    w.caughtUp(2, true); // empty at start
    w.saw(1, 50_000, 0);
    expect(w.at(10)).toBe(-Infinity);
    expect(w.at(6000)).toBe(49_000); // 2 is idle and at its end: out; 0 and 1 hold
    // 1 is silent but behind (a slow fetch): it keeps holding until 10 x idle.
    w.saw(0, 100_000, 20_000);
    expect(w.at(20_000)).toBe(49_000);
    // Past 10 x idle even a partition that never read as caught up stops holding.
    expect(w.at(50_000)).toBe(99_000);
    w.caughtUp(1, true);
    w.saw(1, 60_000, 60_000);
    expect(w.at(60_000)).toBe(59_000);
  });
});
