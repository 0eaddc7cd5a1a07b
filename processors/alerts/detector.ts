// The alert detector, pure and in event time: reviews go into per-app buckets of `bucketMs`
// (created_at), and each time the watermark closes a bucket every app is judged on the window that
// ends there against its own trailing baseline. Nothing reads the wall clock, so the same history
// gives the same alerts, whenever and however fast it is replayed.
//
// Per app, at most one open "turn" alert (sentiment_turn when the negative share turned, naming the
// topics that explain it; complaint_surge when only a topic's share rose) and one open
// version_regression per version. An open alert keeps the baseline it opened against (the burst
// must not become its own baseline), resolves after `resolveAfter` closed buckets in a row without
// the effect, and its key then waits `cooldownMs` of event time before it may open again.
import { createHash } from 'node:crypto';
import type { AlertKind, AlertStatus } from '../../schemas/types.generated.js';
import { addTo, CRASH_TOPIC, emptyBucket, merge, type Bucket, type Observation } from './buckets.js';
import { finding, shareTest, type Proportion, type ShareTest, type Thresholds } from './stats.js';

export interface DetectorConfig {
  bucketMs: number;
  /** The current window: this many buckets up to the one that closed. */
  windowBuckets: number;
  /** The baseline: this many buckets before the current window. */
  baselineBuckets: number;
  turn: Thresholds;
  topic: Thresholds;
  version: Thresholds;
  resolveAfter: number;
  cooldownMs: number;
  /** A version is judged while its first review is younger than this (event time). */
  versionNewMs: number;
  maxApps: number;
  maxVersionsPerApp: number;
}

export interface AlertDraft {
  alertId: string;
  appId: string;
  kind: AlertKind;
  status: AlertStatus;
  version: string | null;
  topics: string[];
  windowStart: number;
  windowEnd: number;
  baselineShare: number;
  currentShare: number;
  reviews: number;
  statistic: number;
  openedAt: number;
  updatedAt: number;
  /** What the reason sentence says beyond the shares. */
  detail: DraftDetail;
  /** Review ids per topic, to quote matched terms from. */
  samples: Map<string, string[]>;
}

export interface DraftDetail {
  measure: 'negative' | 'topic' | 'crash';
  /** Per named topic, its share of the current window's negative reviews. */
  topicShares: { topic: string; share: number }[];
  negative?: { baseline: number; current: number };
  crash?: { baseline: number; current: number };
  previousVersion?: string;
  previousReviews?: number;
  windowMs: number;
  baselineReviews: number;
  /** On a resolved alert: the current share it opened with. */
  openedShare?: number;
}

interface OpenAlert {
  draft: AlertDraft;
  frozen: Proportion;
  /** What the effect is measured on: 'negative', a topic id, or 'crash@v' / 'negative@v'. */
  measure: string;
  quiet: number;
}

interface VersionCounts {
  n: number;
  neg: number;
  crash: number;
}

interface VersionTotal extends VersionCounts {
  firstSeen: number;
  lastSeen: number;
}

interface AppState {
  buckets: Map<number, Bucket>;
  /** Closed buckets only, so the totals never depend on how far the stream was read. */
  versions: Map<string, VersionTotal>;
}

export function alertId(appId: string, kind: string, subject: string, windowStart: number): string {
  return createHash('sha256')
    .update([appId, kind, subject, String(windowStart)].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

export class AlertDetector {
  private readonly apps = new Map<string, AppState>();
  private readonly open = new Map<string, OpenAlert>();
  private readonly resolvedAt = new Map<string, number>();
  /** Index of the last closed bucket; null before the first review. */
  private closed: number | null = null;
  readonly stats = { late: 0, untrackedApps: 0 };

  constructor(private readonly c: DetectorConfig) {}

  /** Counts one review, unless it is late (its bucket was already judged) or its app is untracked. */
  observe(o: Observation): 'counted' | 'late' | 'untracked_app' {
    const b = Math.floor(o.createdAt / this.c.bucketMs);
    if (this.closed !== null && b <= this.closed) {
      this.stats.late += 1;
      return 'late';
    }
    let app = this.apps.get(o.appId);
    if (!app) {
      if (this.apps.size >= this.c.maxApps) {
        this.stats.untrackedApps += 1;
        return 'untracked_app';
      }
      this.apps.set(o.appId, (app = { buckets: new Map(), versions: new Map() }));
    }
    let bucket = app.buckets.get(b);
    if (!bucket) app.buckets.set(b, (bucket = emptyBucket()));
    addTo(bucket, o);
    return 'counted';
  }

  /** Closes every bucket that ends at or before `watermark`; returns the alert changes, oldest first. */
  advance(watermark: number): AlertDraft[] {
    const target = Math.floor(watermark / this.c.bucketMs) - 1;
    if (this.closed === null) {
      const first = this.firstBucket();
      if (first === null) return [];
      this.closed = first - 1;
    }
    const out: AlertDraft[] = [];
    let closed: number = this.closed;
    while (closed < target) {
      const b: number = closed + 1;
      if (this.open.size === 0 && !this.hasDataNear(b)) {
        // A gap in traffic (or a far-future timestamp): jump to the next bucket with data.
        closed = Math.min(target, (this.firstBucket(b) ?? Infinity) - 1);
        continue;
      }
      out.push(...this.closeBucket(b));
      closed = b;
    }
    this.closed = closed;
    return out;
  }

  /** Open alerts (for the gauge and tests). */
  openAlerts(): AlertDraft[] {
    return [...this.open.values()].map((a) => a.draft);
  }

  private firstBucket(after = -Infinity): number | null {
    let min: number | null = null;
    for (const app of this.apps.values())
      for (const b of app.buckets.keys()) if (b >= after && (min === null || b < min)) min = b;
    return min;
  }

  private hasDataNear(b: number): boolean {
    const from = b - this.c.windowBuckets - this.c.baselineBuckets + 1;
    for (const app of this.apps.values()) for (const k of app.buckets.keys()) if (k >= from && k <= b) return true;
    return false;
  }

  private closeBucket(b: number): AlertDraft[] {
    const out: AlertDraft[] = [];
    const end = (b + 1) * this.c.bucketMs;
    for (const [appId, app] of [...this.apps].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
      this.foldVersions(app, b);
      out.push(...this.judgeVersions(appId, app, b, end));
      // A version with an open regression explains its own reviews: the app's turn is judged
      // without them, so one bad release is one alert (the version's), not two.
      const regressed = this.regressedVersions(appId);
      const cur = withoutVersions(this.window(app, b - this.c.windowBuckets + 1, b), regressed);
      const baseFrom = b - this.c.windowBuckets - this.c.baselineBuckets + 1;
      const base = withoutVersions(this.window(app, baseFrom, b - this.c.windowBuckets), regressed);
      out.push(...this.judgeTurn(appId, cur, base, end));
      for (const k of app.buckets.keys())
        if (k <= b - this.c.windowBuckets - this.c.baselineBuckets) app.buckets.delete(k);
    }
    return out;
  }

  private window(app: AppState, from: number, to: number, withSamples = false): Bucket {
    const bs: Bucket[] = [];
    for (let k = from; k <= to; k++) {
      const x = app.buckets.get(k);
      if (x) bs.push(x);
    }
    return merge(bs, withSamples);
  }

  /** Sampled review ids of `key` (a topic, or topic@version) over buckets from..to. */
  private sampled(appId: string, from: number, to: number, key: string): string[] {
    const app = this.apps.get(appId);
    return app ? (this.window(app, from, to, true).samples.get(key) ?? []) : [];
  }

  private foldVersions(app: AppState, b: number): void {
    const bucket = app.buckets.get(b);
    if (!bucket) return;
    const at = b * this.c.bucketMs;
    for (const [v, c] of bucket.versions) {
      const t = app.versions.get(v) ?? { firstSeen: at, lastSeen: at, n: 0, neg: 0, crash: 0 };
      app.versions.set(v, { ...t, lastSeen: at, n: t.n + c.n, neg: t.neg + c.neg, crash: t.crash + c.crash });
    }
    while (app.versions.size > this.c.maxVersionsPerApp) {
      const oldest = [...app.versions].sort((x, y) => x[1].lastSeen - y[1].lastSeen)[0]!;
      app.versions.delete(oldest[0]);
    }
  }

  private judgeTurn(appId: string, cur: Bucket, base: Bucket, end: number): AlertDraft[] {
    const b = end / this.c.bucketMs - 1;
    const key = `${appId}\u0000turn`;
    const open = this.open.get(key);
    if (open) return cur.n === 0 ? [] : this.followUp(key, open, this.measured(open.measure, cur), end);
    if (end - (this.resolvedAt.get(key) ?? -Infinity) < this.c.cooldownMs) return [];
    const negative = finding({ k: cur.neg, n: cur.n }, { k: base.neg, n: base.n }, this.c.turn);
    const surging = [...cur.topics]
      .map(([t, c]) => ({
        t,
        r: finding({ k: c.n, n: cur.n }, { k: base.topics.get(t)?.n ?? 0, n: base.n }, this.c.topic),
      }))
      .filter((x): x is { t: string; r: ShareTest } => x.r !== null)
      .sort((x, y) => y.r.statistic - x.r.statistic || (x.t < y.t ? -1 : 1));
    if (!negative && surging.length === 0) return [];
    const named = surging.length ? surging.map((s) => s.t) : leadingTopic(cur);
    const test = negative ?? surging[0]!.r;
    const measure = negative ? 'negative' : surging[0]!.t;
    const kind: AlertKind = negative ? 'sentiment_turn' : 'complaint_surge';
    const frozen = negative ? { k: base.neg, n: base.n } : { k: base.topics.get(measure)?.n ?? 0, n: base.n };
    const windowStart = end - this.c.windowBuckets * this.c.bucketMs;
    const draft: AlertDraft = {
      alertId: alertId(appId, kind, '', windowStart),
      appId,
      kind,
      status: 'open',
      version: null,
      topics: named,
      windowStart,
      windowEnd: end,
      baselineShare: test.baselineShare,
      currentShare: test.currentShare,
      reviews: cur.n,
      statistic: test.statistic,
      openedAt: end,
      updatedAt: end,
      detail: {
        measure: negative ? 'negative' : 'topic',
        topicShares: named.map((t) => ({ topic: t, share: cur.neg ? (cur.topics.get(t)?.neg ?? 0) / cur.neg : 0 })),
        windowMs: this.c.windowBuckets * this.c.bucketMs,
        baselineReviews: base.n,
      },
      samples: new Map(named.map((t) => [t, this.sampled(appId, b - this.c.windowBuckets + 1, b, t)])),
    };
    this.open.set(key, { draft, frozen, measure, quiet: 0 });
    return [draft];
  }

  /** The current window's count for an open alert's measure. */
  private measured(measure: string, cur: Bucket): Proportion {
    if (measure === 'negative') return { k: cur.neg, n: cur.n };
    const [what, version] = measure.split('@') as [string, string | undefined];
    if (version !== undefined) {
      const v = cur.versions.get(version) ?? { n: 0, neg: 0, crash: 0 };
      return { k: what === 'crash' ? v.crash : v.neg, n: v.n };
    }
    return { k: cur.topics.get(what)?.n ?? 0, n: cur.n };
  }

  /**
   * An open alert after one more closed bucket with reviews of the app: still on, or one quiet
   * bucket nearer resolving (a silent app keeps its alerts as they are).
   */
  private followUp(key: string, a: OpenAlert, now: Proportion, end: number): AlertDraft[] {
    const t = shareTest(now, a.frozen, this.c.turn.maxBaseline);
    const still = now.n > 0 && t.currentShare - t.baselineShare >= this.c.turn.minEffect / 2 && t.pValue < 0.05;
    a.quiet = still ? 0 : a.quiet + 1;
    if (a.quiet < this.c.resolveAfter) return [];
    this.open.delete(key);
    this.resolvedAt.set(key, end);
    const resolved: AlertDraft = {
      ...a.draft,
      status: 'resolved',
      windowEnd: end,
      currentShare: t.currentShare,
      reviews: now.n,
      updatedAt: end,
      detail: { ...a.draft.detail, openedShare: a.draft.currentShare },
      samples: new Map(),
    };
    return [resolved];
  }

  private judgeVersions(appId: string, app: AppState, b: number, end: number): AlertDraft[] {
    const out: AlertDraft[] = [];
    const cur = this.window(app, b - this.c.windowBuckets + 1, b);
    const recentFrom = b - this.c.windowBuckets - this.c.baselineBuckets + 1;
    const byFirstSeen = [...app.versions].sort((x, y) => x[1].firstSeen - y[1].firstSeen || (x[0] < y[0] ? -1 : 1));
    for (const [version, total] of byFirstSeen) {
      const key = `${appId}\u0000version\u0000${version}`;
      const open = this.open.get(key);
      if (open) {
        // No reviews of the app at all says nothing; none of the version while others come in: superseded.
        if (cur.n > 0) out.push(...this.followUp(key, open, this.measured(open.measure, cur), end));
        continue;
      }
      if (end - total.firstSeen > this.c.versionNewMs) continue;
      if (end - (this.resolvedAt.get(key) ?? -Infinity) < this.c.cooldownMs) continue;
      // The same days for both: from the version's first bucket (or the recent window's start).
      const since = this.window(app, Math.max(recentFrom, total.firstSeen / this.c.bucketMs), b);
      const previous = this.previousVersion(version, total, byFirstSeen, since);
      const mine = since.versions.get(version);
      if (!previous || !mine) continue;
      const draft = this.versionFinding(appId, version, mine, previous, end);
      if (draft) out.push(draft);
    }
    return out;
  }

  /**
   * What a version is compared with: the older version with the most reviews over the same days
   * (`since`: so an outage that hits every version alike cancels out), else, when the older
   * versions are no longer reviewed, the newest older version's totals.
   */
  private previousVersion(
    version: string,
    total: VersionTotal,
    byFirstSeen: [string, VersionTotal][],
    recent: Bucket,
  ): [string, VersionCounts] | null {
    const older = byFirstSeen.filter(([v, t]) => v !== version && t.firstSeen < total.firstSeen);
    const concurrent = older
      .map(([v]) => [v, recent.versions.get(v)] as const)
      .filter((x): x is readonly [string, VersionCounts] => (x[1]?.n ?? 0) >= this.c.version.minBaseline)
      .sort((x, y) => y[1].n - x[1].n || (x[0] < y[0] ? -1 : 1));
    if (concurrent[0]) return [concurrent[0][0], concurrent[0][1]];
    return older.filter(([, t]) => t.n >= this.c.version.minBaseline).pop() ?? null;
  }

  private regressedVersions(appId: string): string[] {
    const prefix = `${appId}\u0000version\u0000`;
    return [...this.open.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  private versionFinding(
    appId: string,
    version: string,
    mine: { n: number; neg: number; crash: number },
    [prevVersion, prev]: [string, VersionCounts],
    end: number,
  ): AlertDraft | null {
    const b = end / this.c.bucketMs - 1;
    const crash = finding({ k: mine.crash, n: mine.n }, { k: prev.crash, n: prev.n }, this.c.version);
    const negative = finding({ k: mine.neg, n: mine.n }, { k: prev.neg, n: prev.n }, this.c.version);
    const test = crash ?? negative;
    if (!test) return null;
    const measure = crash ? `crash@${version}` : `negative@${version}`;
    const windowStart = end - (this.c.windowBuckets + this.c.baselineBuckets) * this.c.bucketMs;
    const sampleKey = `${CRASH_TOPIC}@${version}`;
    const draft: AlertDraft = {
      alertId: alertId(appId, 'version_regression', version, windowStart),
      appId,
      kind: 'version_regression',
      status: 'open',
      version,
      topics: crash ? [CRASH_TOPIC] : [],
      windowStart,
      windowEnd: end,
      baselineShare: test.baselineShare,
      currentShare: test.currentShare,
      reviews: mine.n,
      statistic: test.statistic,
      openedAt: end,
      updatedAt: end,
      detail: {
        measure: crash ? 'crash' : 'negative',
        topicShares: [],
        negative: { baseline: prev.n ? prev.neg / prev.n : 0, current: mine.n ? mine.neg / mine.n : 0 },
        crash: { baseline: prev.n ? prev.crash / prev.n : 0, current: mine.n ? mine.crash / mine.n : 0 },
        previousVersion: prevVersion,
        previousReviews: prev.n,
        windowMs: (this.c.windowBuckets + this.c.baselineBuckets) * this.c.bucketMs,
        baselineReviews: prev.n,
      },
      samples: new Map(
        crash
          ? [[CRASH_TOPIC, this.sampled(appId, b - this.c.windowBuckets - this.c.baselineBuckets + 1, b, sampleKey)]]
          : [],
      ),
    };
    const frozen = crash ? { k: prev.crash, n: prev.n } : { k: prev.neg, n: prev.n };
    this.open.set(`${appId}\u0000version\u0000${version}`, { draft, frozen, measure, quiet: 0 });
    return draft;
  }
}

/** The topic most of the window's negative reviews are about, when it is at least 30 % of them. */
function leadingTopic(cur: Bucket): string[] {
  let best: [string, number] | null = null;
  for (const [t, c] of cur.topics)
    if (!best || c.neg > best[1] || (c.neg === best[1] && t < best[0])) best = [t, c.neg];
  return best && cur.neg > 0 && best[1] / cur.neg >= 0.3 ? [best[0]] : [];
}

/** A window without the reviews of some versions (their topics too; negatives among them are not kept per topic). */
function withoutVersions(b: Bucket, versions: string[]): Bucket {
  if (versions.length === 0) return b;
  const out: Bucket = { ...b, topics: new Map(b.topics) };
  for (const v of versions) {
    const c = b.versions.get(v);
    if (!c) continue;
    out.n -= c.n;
    out.neg -= c.neg;
    for (const [t, tc] of out.topics) {
      const gone = b.versionTopics.get(`${t}@${v}`) ?? 0;
      if (gone) out.topics.set(t, { n: tc.n - gone, neg: Math.max(0, tc.neg - gone) });
    }
  }
  return out;
}
