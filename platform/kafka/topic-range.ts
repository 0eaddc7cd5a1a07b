// A bounded range of a topic: bounds as offsets or ISO times, their per-partition offsets, and a
// reader of [start, end) with a throwaway group that seeks and commits nothing (replay, and the
// trainer's unlabeled text from the reviews topic).
import { randomUUID } from 'node:crypto';
import type { KafkaClient, KafkaMessage } from './kafka.js';

export type Bound = { kind: 'offset'; value: number } | { kind: 'time'; value: number };

export function parseBound(s: string): Bound {
  if (/^\d+$/.test(s)) return { kind: 'offset', value: Number(s) };
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`"${s}" is neither an offset nor an ISO time`);
  return { kind: 'time', value: t };
}

export async function offsetsFor(
  kafka: KafkaClient,
  topic: string,
  b: Bound,
  edge: 'start' | 'end',
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const bounds = await admin.fetchTopicOffsets(topic);
    const out = new Map<number, number>();
    if (b.kind === 'offset') {
      // An offset bound applies to every partition, clamped to what exists.
      for (const p of bounds)
        out.set(p.partition, Math.min(Math.max(b.value + (edge === 'end' ? 1 : 0), Number(p.low)), Number(p.high)));
    } else {
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, b.value);
      for (const p of byTime)
        out.set(
          p.partition,
          Number(p.offset) < 0 ? Number(bounds.find((x) => x.partition === p.partition)!.high) : Number(p.offset),
        );
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Per-partition [start, end) offsets of a range given by two bounds. */
export async function rangeOffsets(
  kafka: KafkaClient,
  topic: string,
  from: Bound,
  to: Bound,
): Promise<{ start: Map<number, number>; end: Map<number, number> }> {
  const start = await offsetsFor(kafka, topic, from, 'start');
  const end = await offsetsFor(kafka, topic, to, to.kind === 'time' ? 'start' : 'end');
  return { start, end };
}

/**
 * Reads every message of [from, to) once, in batches; resolves when each partition reached its end.
 * A transactional topic's last offsets can be commit markers, which kafkajs never delivers: once
 * messages flow, a pause of `idleMs` also ends the read (before the first batch, `firstBatchMs`).
 */
export async function readRange(
  kafka: KafkaClient,
  topic: string,
  range: { from: Bound; to: Bound },
  onBatch: (messages: KafkaMessage[]) => Promise<void>,
  timing: { idleMs: number; firstBatchMs: number } = { idleMs: 3000, firstBatchMs: 20_000 },
): Promise<void> {
  const { start, end } = await rangeOffsets(kafka, topic, range.from, range.to);
  const pending = [...end.entries()].filter(([p, e]) => (start.get(p) ?? e) < e);
  if (!pending.length) return;
  const left = new Set(pending.map(([p]) => p));
  const consumer = kafka.consumer({ groupId: `ulasan-range-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic });
  const began = Date.now();
  let last = 0;
  let busy = false;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const timer = setInterval(() => {
    const quiet = last > 0 ? Date.now() - last >= timing.idleMs : Date.now() - began >= timing.firstBatchMs;
    if (quiet && !busy) done();
  }, 200);
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      last = Date.now();
      const stop = end.get(batch.partition);
      if (stop === undefined || !left.has(batch.partition)) return;
      const first = start.get(batch.partition) ?? 0;
      const msgs = batch.messages.filter((m) => Number(m.offset) >= first && Number(m.offset) < stop);
      busy = true;
      if (msgs.length) await onBatch(msgs).finally(() => ((busy = false), (last = Date.now())));
      busy = false;
      // lastOffset() counts commit markers too, so a range ending in one still completes here.
      const next = Number(batch.lastOffset()) + 1;
      start.set(batch.partition, Math.max(first, next));
      if (next >= stop) left.delete(batch.partition);
      if (left.size === 0) done();
    },
  });
  // Seek once running (kafkajs applies seeks to the running consumer's assignment).
  for (const [p] of pending) consumer.seek({ topic, partition: p, offset: String(start.get(p)) });
  await finished;
  clearInterval(timer);
  await consumer.disconnect();
}
