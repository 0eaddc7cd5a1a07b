// Event-time buckets of one app's scored reviews, pure: counts (all, negative, per topic, per
// version) and a small deterministic sample of review ids per topic (the smallest ids, so the same
// history samples the same reviews whatever the order the partitions arrive in) for quoting terms.
export interface Counts {
  n: number;
  neg: number;
}

export interface Bucket extends Counts {
  /** Reviews carrying each topic (all, and negative ones). */
  topics: Map<string, Counts>;
  /** Per version: reviews, negative ones, and crash ones. */
  versions: Map<string, Counts & { crash: number }>;
  /** Reviews per `topic@version` (so a window can be judged without one version's reviews). */
  versionTopics: Map<string, number>;
  /** Sample of review ids per topic and per `topic@version`. */
  samples: Map<string, string[]>;
}

export const CRASH_TOPIC = 'crash';
const SAMPLE_SIZE = 8;
const MAX_SAMPLE_KEYS = 64;
const MAX_VERSIONS_PER_BUCKET = 32;
const MAX_VERSION_TOPICS = 512;

export function emptyBucket(): Bucket {
  return { n: 0, neg: 0, topics: new Map(), versions: new Map(), versionTopics: new Map(), samples: new Map() };
}

function sample(b: Bucket, key: string, reviewId: string): void {
  let ids = b.samples.get(key);
  if (!ids) {
    if (b.samples.size >= MAX_SAMPLE_KEYS) return;
    b.samples.set(key, (ids = []));
  }
  if (ids.includes(reviewId)) return;
  if (ids.length < SAMPLE_SIZE) ids.push(reviewId);
  else if (reviewId < ids[ids.length - 1]!) ids[ids.length - 1] = reviewId;
  else return;
  ids.sort();
}

export interface Observation {
  reviewId: string;
  appId: string;
  createdAt: number;
  negative: boolean;
  /** Bounded and normalised (handler.ts); null when the store gives none. */
  version: string | null;
  /** Known-shape topic ids, deduplicated and bounded (handler.ts). */
  topics: string[];
}

export function addTo(b: Bucket, o: Observation): void {
  const neg = o.negative ? 1 : 0;
  b.n += 1;
  b.neg += neg;
  for (const t of o.topics) {
    const c = b.topics.get(t) ?? { n: 0, neg: 0 };
    c.n += 1;
    c.neg += neg;
    b.topics.set(t, c);
    sample(b, t, o.reviewId);
    if (o.version === null) continue;
    const key = `${t}@${o.version}`;
    sample(b, key, o.reviewId);
    if (b.versionTopics.has(key) || b.versionTopics.size < MAX_VERSION_TOPICS)
      b.versionTopics.set(key, (b.versionTopics.get(key) ?? 0) + 1);
  }
  if (o.version !== null) {
    let v = b.versions.get(o.version);
    if (!v) {
      if (b.versions.size >= MAX_VERSIONS_PER_BUCKET) return;
      b.versions.set(o.version, (v = { n: 0, neg: 0, crash: 0 }));
    }
    v.n += 1;
    v.neg += neg;
    if (o.topics.includes(CRASH_TOPIC)) v.crash += 1;
  }
}

/** The sum of several buckets (a window); samples only when asked (they are needed only to quote). */
export function merge(buckets: Iterable<Bucket>, withSamples = false): Bucket {
  const out = emptyBucket();
  for (const b of buckets) {
    out.n += b.n;
    out.neg += b.neg;
    for (const [t, c] of b.topics) {
      const o = out.topics.get(t) ?? { n: 0, neg: 0 };
      out.topics.set(t, { n: o.n + c.n, neg: o.neg + c.neg });
    }
    for (const [v, c] of b.versions) {
      const o = out.versions.get(v) ?? { n: 0, neg: 0, crash: 0 };
      out.versions.set(v, { n: o.n + c.n, neg: o.neg + c.neg, crash: o.crash + c.crash });
    }
    for (const [k, n] of b.versionTopics) out.versionTopics.set(k, (out.versionTopics.get(k) ?? 0) + n);
    if (!withSamples) continue;
    for (const [k, ids] of b.samples) out.samples.set(k, [...new Set([...(out.samples.get(k) ?? []), ...ids])].sort());
  }
  return out;
}
