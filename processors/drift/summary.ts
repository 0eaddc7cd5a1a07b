// The bounded state of one drift window: sufficient statistics, never the records. Pure.
//
// Numeric features go into DDSketch quantile sketches (@datadog/sketches-js: maintained by Datadog,
// mergeable, 1 % relative accuracy, and the log-collapsing store caps a sketch at SKETCH_BINS bins
// whatever the values, so even hostile magnitudes cost bounded memory). Categorical features keep
// exact counts, capped at MAX_CATEGORIES per feature (the rest count as OTHER). Summaries are kept
// per segment (capped at `maxSegments`, the rest go to OTHER), so later per-app detection and moving
// references work on the same state. Two summaries of the same features merge exactly.
import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';
import type { MonitoredRecord } from '../../models/features/monitored.js';

export const SKETCH_ACCURACY = 0.01;
export const SKETCH_BINS = 1024;
export const MAX_CATEGORIES = 200;
export const OTHER = '__other__';

export type { MonitoredRecord };

/**
 * Features bounded above by 1 that crowd against it (model confidence): a relative-error sketch of
 * the value cannot tell 0.995 from 0.9999, so these are sketched as 1 - value, where 1 % relative
 * accuracy is 1 % of the distance from certainty.
 */
export const COMPLEMENTED = new Set(['confidence']);

type Sketch = LogCollapsingLowestDenseDDSketch;
const newSketch = (): Sketch =>
  new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: SKETCH_ACCURACY, binLimit: SKETCH_BINS });

export interface SerializedSummary {
  rows: number;
  lastVersion: string;
  numeric: Record<string, string>;
  categorical: Record<string, Record<string, number>>;
}

export class FeatureSummary {
  rows = 0;
  /** Model version of the newest record: what the window's verdict is about. */
  lastVersion = '';
  readonly numeric = new Map<string, Sketch>();
  readonly categorical = new Map<string, Map<string, number>>();

  add(r: MonitoredRecord, version = ''): void {
    this.rows += 1;
    if (version) this.lastVersion = version;
    for (const f in r.numeric) {
      const v = r.numeric[f]!;
      if (!Number.isFinite(v)) continue; // NaN/Infinity carry no distribution information
      let s = this.numeric.get(f);
      if (!s) this.numeric.set(f, (s = newSketch()));
      s.accept(COMPLEMENTED.has(f) ? 1 - v : v);
    }
    for (const f in r.categorical) this.count(f, r.categorical[f]!, 1);
  }

  private count(feature: string, value: string, n: number): void {
    let c = this.categorical.get(feature);
    if (!c) this.categorical.set(feature, (c = new Map()));
    const key = c.has(value) || c.size < MAX_CATEGORIES ? value : OTHER;
    c.set(key, (c.get(key) ?? 0) + n);
  }

  merge(o: FeatureSummary): void {
    this.rows += o.rows;
    if (o.lastVersion) this.lastVersion = o.lastVersion;
    for (const [f, s] of o.numeric) {
      const mine = this.numeric.get(f);
      if (mine) mine.merge(s);
      else this.numeric.set(f, copy(s));
    }
    for (const [f, counts] of o.categorical) for (const [v, n] of counts) this.count(f, v, n);
  }

  /** A compact, storable form: sketches as base64 protobuf (DDSketch's own format), counts as they are. */
  toJSON(): SerializedSummary {
    return {
      rows: this.rows,
      lastVersion: this.lastVersion,
      numeric: Object.fromEntries(
        [...this.numeric].map(([f, sk]) => [f, Buffer.from(sk.toProto()).toString('base64')]),
      ),
      categorical: Object.fromEntries([...this.categorical].map(([f, c]) => [f, Object.fromEntries(c)])),
    };
  }

  static fromJSON(j: SerializedSummary): FeatureSummary {
    const s = new FeatureSummary();
    s.rows = j.rows;
    s.lastVersion = j.lastVersion;
    for (const [f, b64] of Object.entries(j.numeric)) {
      // fromProto gives a plain DDSketch with the same mapping; merging it keeps the bin limit.
      const sk = newSketch();
      sk.merge(LogCollapsingLowestDenseDDSketch.fromProto(Buffer.from(b64, 'base64')) as Sketch);
      s.numeric.set(f, sk);
    }
    for (const [f, c] of Object.entries(j.categorical)) s.categorical.set(f, new Map(Object.entries(c)));
    return s;
  }

  /** How many finite values of a numeric feature were seen. */
  size(feature: string): number {
    return this.numeric.get(feature)?.count ?? 0;
  }

  mean(feature: string): number {
    const s = this.numeric.get(feature);
    if (!s || s.count === 0) return 0;
    return COMPLEMENTED.has(feature) ? 1 - s.sum / s.count : s.sum / s.count;
  }

  counts(feature: string): Record<string, number> {
    return Object.fromEntries(this.categorical.get(feature) ?? []);
  }

  /**
   * An equally spaced quantile sample (up to `k` points) standing in for the window's values: what
   * the KS, Wasserstein and PSI computations read. Each point is a sketch bucket's representative
   * value; compare it with a reference passed through `quantize`, so both sides share the same 1 %
   * buckets and the sketch adds no systematic difference of its own.
   */
  sample(feature: string, k = 1000): number[] {
    const s = this.numeric.get(feature);
    if (!s || s.count === 0) return [];
    const n = Math.min(k, s.count);
    const out = new Array<number>(n);
    const flip = COMPLEMENTED.has(feature);
    // Quantile q of the value is 1 minus quantile 1 - q of its complement.
    for (let i = 0; i < n; i++) {
      const q = s.getValueAtQuantile((i + 0.5) / n);
      if (flip) out[n - 1 - i] = 1 - q;
      else out[i] = q;
    }
    return out;
  }
}

function copy(s: Sketch): Sketch {
  const c = newSketch();
  c.merge(s);
  return c;
}

const MAPPING = newSketch().mapping;

/** A value as the sketch of `feature` would return it: its bucket's representative value. */
export function quantize(feature: string, v: number): number {
  const flip = COMPLEMENTED.has(feature);
  const x = flip ? 1 - v : v;
  let q = 0;
  if (x > MAPPING.minPossible) q = MAPPING.value(MAPPING.key(x));
  else if (x < -MAPPING.minPossible) q = -MAPPING.value(MAPPING.key(-x));
  return flip ? 1 - q : q;
}

/** Window state kept per segment (an app, or 'all'); past `maxSegments`, new ones share OTHER. */
export class SegmentedSummary {
  readonly segments = new Map<string, FeatureSummary>();
  constructor(readonly maxSegments = 1000) {}

  add(segment: string, r: MonitoredRecord, version = ''): void {
    const key = this.segments.has(segment) || this.segments.size < this.maxSegments ? segment : OTHER;
    let s = this.segments.get(key);
    if (!s) this.segments.set(key, (s = new FeatureSummary()));
    s.add(r, version);
  }

  /** Every segment merged: the global view of the window. */
  total(): FeatureSummary {
    const t = new FeatureSummary();
    for (const s of this.segments.values()) t.merge(s);
    return t;
  }
}
