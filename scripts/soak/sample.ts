// What the soak samples: the processors' own /metrics (prom-client: RSS, heap, event-loop delay,
// error counters) and every consumer group's lag from the broker.
import type { Admin } from '../../platform/kafka/kafka.js';

export interface ProcessSample {
  rssMb: number;
  heapUsedMb: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  /** Counters that count failures: dead letters, outage retries, errors. */
  errors: Record<string, number>;
}

/** Sums each metric's series in Prometheus text (labels ignored). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + v);
  }
  return out;
}

const ERROR_COUNTER = /^ulasan_\w*(dead_letter|error|fail|retries|refused|unreadable)\w*_total$/;

/** One scrape of the processors' /metrics, or null when the process does not answer (killed, starting). */
export async function sampleProcess(metricsUrl: string): Promise<ProcessSample | null> {
  let text: string;
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    text = await res.text();
  } catch {
    return null;
  }
  const m = parsePrometheus(text);
  const mb = (k: string): number => (m.get(k) ?? 0) / 2 ** 20;
  const errors: Record<string, number> = {};
  for (const [k, v] of m) if (ERROR_COUNTER.test(k)) errors[k.replace(/^ulasan_/, '')] = v;
  return {
    rssMb: mb('ulasan_process_resident_memory_bytes'),
    heapUsedMb: mb('ulasan_nodejs_heap_size_used_bytes'),
    eventLoopP99Ms: (m.get('ulasan_nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000,
    eventLoopMaxMs: (m.get('ulasan_nodejs_eventloop_lag_max_seconds') ?? 0) * 1000,
    errors,
  };
}

export interface GroupLag {
  group: string;
  /** Records the group has not committed past, over every partition of its topics. */
  lag: number;
  /** For each topic: the end offsets now, to tell later whether the group got past them. */
  ends: Record<string, number[]>;
  committed: Record<string, number[]>;
}

/** The lag of each group on its topics (a partition it never committed counts from offset 0). */
export async function groupLags(admin: Admin, groups: Record<string, string[]>): Promise<GroupLag[]> {
  const out: GroupLag[] = [];
  for (const [group, topics] of Object.entries(groups)) {
    const committed = await admin.fetchOffsets({ groupId: group, topics });
    const g: GroupLag = { group, lag: 0, ends: {}, committed: {} };
    for (const t of committed) {
      const ends = await admin.fetchTopicOffsets(t.topic);
      g.ends[t.topic] = [];
      g.committed[t.topic] = [];
      for (const e of ends) {
        const c = Number(t.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
        const end = Number(e.high);
        g.ends[t.topic]![e.partition] = end;
        g.committed[t.topic]![e.partition] = Math.max(c, 0);
        g.lag += Math.max(0, end - Math.max(c, 0));
      }
    }
    out.push(g);
  }
  return out;
}

/** Whether the group has committed past every end offset of `before` (a backlog drained). */
export function drainedPast(now: GroupLag, before: GroupLag): boolean {
  return Object.entries(before.ends).every(([topic, ends]) =>
    ends.every((end, p) => (now.committed[topic]?.[p] ?? 0) >= end),
  );
}
