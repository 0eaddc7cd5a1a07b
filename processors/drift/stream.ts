// The drift processor's stream work: records into the windows of each size, closed windows stored
// and published, offsets committed no further than the oldest record a window still needs.
// Closing is serialised (batches and the wall-clock punctuator share it), and a window is released
// only after its rows are stored and its events sent, so a failed store loses nothing.
import type { ScoredReview } from '../../schemas/types.generated.js';
import type { Context } from '../kit/context.js';
import type { Consumer, EachBatchPayload, KafkaMessage, Message, Producer } from '../../platform/kafka/kafka.js';
import { DeadLetters, outageWaiter, recordFailure } from '../kit/kit.js';
import type { Logger } from '../../platform/logger.js';
import { parseDuration, toDateTime64 } from '../../platform/time.js';
import type { DriftConfig } from './config.js';
import type { ReferenceProfile } from './detector.js';
import { monitoredOf, summaryWindows, windowOutput, type Monitored } from './handler.js';
import type { DriftMetrics } from './metrics.js';
import type { SegmentedSummary } from './summary.js';
import { TumblingWindows } from './windows.js';
import type { ReferenceBook } from './references.js';
import { segmentOutputs, type SegmentOutput } from './segments.js';

export interface WindowSet {
  label: string;
  w: TumblingWindows<SegmentedSummary, Monitored>;
}

export function windowSets(cfg: DriftConfig): WindowSet[] {
  return cfg.DRIFT_WINDOWS.split(',')
    .map((s) => s.trim())
    .map((label) => ({
      label,
      w: new TumblingWindows<SegmentedSummary, Monitored>({
        sizeMs: parseDuration(label),
        graceMs: parseDuration(cfg.DRIFT_GRACE),
        partitionIdleMs: cfg.DRIFT_IDLE_FLUSH_MS,
        maxSkewMs: parseDuration(cfg.DRIFT_MAX_SKEW),
        ...summaryWindows(cfg.DRIFT_MAX_SEGMENTS),
      }),
    }));
}

export interface DriftDeps {
  ctx: Context;
  cfg: DriftConfig;
  /** The dataset reference (DRIFT_REFERENCE=dataset), else null. */
  ref: { profile: ReferenceProfile; modelVersion: string } | null;
  /** Per-segment references (DRIFT_REFERENCE=window or model), else null. */
  refs: ReferenceBook | null;
  sets: WindowSet[];
  producer: Producer;
  deadLetters: DeadLetters;
  m: DriftMetrics;
  log: Logger;
  wait: ReturnType<typeof outageWaiter>;
  /** Gives back what the references hold (the registry follower of DRIFT_REFERENCE=model). */
  release?: () => Promise<void>;
}

/** Closes, stores, publishes and then releases every ready window; one caller at a time. */
export function windowCloser(d: DriftDeps): (idleNow?: number) => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  const closeAll = async (idleNow?: number): Promise<void> => {
    for (const s of d.sets) {
      const ready = idleNow === undefined ? s.w.closeReady() : s.w.idle(idleNow, d.cfg.DRIFT_IDLE_FLUSH_MS);
      for (const win of ready) {
        await storeWindow(d, s.label, win);
        s.w.release(win.start);
      }
      d.m.open.set({ window: s.label }, s.w.openWindows());
    }
  };
  return (idleNow) => (chain = chain.then(() => closeAll(idleNow)));
}

type Closed = Parameters<typeof windowOutput>[1];

function detectorOptions(d: DriftDeps) {
  const { cfg } = d;
  const opts = { alpha: cfg.DRIFT_ALPHA, method: cfg.DRIFT_METHOD, distanceThreshold: 0.1, minReferenceCategories: 2 };
  return { ...opts, minRows: cfg.DRIFT_MIN_WINDOW_ROWS, fallbackVersion: d.ref?.modelVersion ?? 'unknown' };
}

// A window's outputs are computed once (capturing a reference is not idempotent): a retried store
// of the same window reuses them.
const computed = new WeakMap<object, { out: ReturnType<typeof windowOutput>; segments: SegmentOutput[] }>();

function outputsOf(d: DriftDeps, label: string, win: Closed, now: number) {
  const cached = computed.get(win.state);
  if (cached) return cached;
  const o = detectorOptions(d);
  let result: { out: ReturnType<typeof windowOutput>; segments: SegmentOutput[] };
  if (d.refs) {
    const segments = segmentOutputs(label, win, d.refs, o, now);
    // The global view keeps the drift_windows / drift_metrics rows, tested against its own reference.
    result = { out: windowOutput(label, win, segments[0]!.profile, o, now), segments };
  } else result = { out: windowOutput(label, win, d.ref!.profile, o, now), segments: [] };
  computed.set(win.state, result);
  return result;
}

async function storeWindow(d: DriftDeps, label: string, win: Closed): Promise<void> {
  const { ctx } = d;
  const now = Date.now();
  const { out, segments } = outputsOf(d, label, win, now);
  await d.wait('insert drift_metrics', () => ctx.store.insert('drift_metrics', out.metricRows));
  await d.wait('insert drift_windows', () => ctx.store.insert('drift_windows', [out.windowRow]));
  if (segments.length) {
    await d.wait('insert drift_segment_windows', () =>
      ctx.store.insert(
        'drift_segment_windows',
        segments.map((x) => x.row),
      ),
    );
    const refs = d.refs!.changed(now).map((r) => ({ ...r, updated_at: toDateTime64(r.updated_at) }));
    if (refs.length) await d.wait('insert drift_references', () => ctx.store.insert('drift_references', refs));
  }
  const events = segments.length ? segments.flatMap((x) => x.events) : out.events;
  if (events.length) {
    const encode = await ctx.serde.encoderFor(ctx.topics.drift);
    const messages = events.map((e) => ({
      key: `${label}/${e.segment ?? 'all'}/${win.start}/${e.feature}`,
      value: encode(e),
    }));
    await d.wait('send drift events', () => d.producer.send({ topic: ctx.topics.drift, messages, acks: -1 }));
  }
  d.m.windows.inc({ window: label, verdict: !out.tested ? 'too_small' : out.drifted ? 'drift' : 'no_drift' });
  const drifted = segments.filter((x) => x.drifted).map((x) => `${x.segment}: ${String(x.row.reason)}`);
  d.log.info(
    {
      window: label,
      start: new Date(win.start).toISOString(),
      rows: out.rows,
      drifted: out.drifted,
      segments: drifted,
    },
    'window closed',
  );
}

/** One scored record into every window set; returns the late_records row when it was not windowed. */
function windowRecord(
  d: DriftDeps,
  s: ScoredReview,
  pos: { partition: number; offset: string },
  now: number,
): Record<string, unknown>[] {
  const mon = monitoredOf(s);
  if (!mon) return [];
  d.m.records.inc();
  const late: Record<string, unknown>[] = [];
  for (const set of d.sets) {
    const result = set.w.add(s.created_at, mon, pos, now);
    if (result === 'duplicate') d.m.duplicates.inc({ window: set.label });
    if (result !== 'late' && result !== 'future') continue;
    d.m.late.inc({ window: set.label, kind: result });
    late.push({
      window_size: set.label,
      review_id: s.review_id,
      event_time: toDateTime64(s.created_at, 'created_at'),
      seen_at: toDateTime64(now),
    });
  }
  return late;
}

/** The eachBatch of the drift consumer: window every record, dead-letter the unreadable ones. */
export function batchHandler(d: DriftDeps, consumer: () => Consumer, closeWindows: () => Promise<void>) {
  return async ({ batch, heartbeat, isRunning }: EachBatchPayload): Promise<void> => {
    const waitOpts = { heartbeat, keepGoing: isRunning };
    const late: Record<string, unknown>[] = [];
    const dead: Message[] = [];
    for (const m of batch.messages) {
      try {
        // The cached compiled reader without a promise per record; the awaited decode (a wait through a
        // registry outage) only when the registry must answer: a new schema id, another subject's id.
        const s = (
          d.ctx.serde.decodeSync<ScoredReview>(m.value, d.ctx.topics.scored) ??
          (await d.wait('decode', () => d.ctx.serde.decode<ScoredReview>(m.value, d.ctx.topics.scored), waitOpts))
        ).value;
        late.push(...windowRecord(d, s, { partition: batch.partition, offset: m.offset }, Date.now()));
      } catch (err) {
        dead.push(await d.deadLetters.message(origin(batch, m), recordFailure(err)));
      }
    }
    if (late.length) await d.wait('insert late_records', () => d.ctx.store.insert('late_records', late), waitOpts);
    await d.deadLetters.send(dead, { log: d.log, ...waitOpts });
    await closeWindows();
    const next = BigInt(batch.messages.at(-1)!.offset) + 1n;
    await commitHeld(d, consumer(), batch.topic, batch.partition, next);
    await heartbeat();
  };
}

function origin(batch: { topic: string; partition: number }, m: KafkaMessage) {
  return { topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value };
}

/** Commits `next`, or the oldest offset an unstored window still holds on that partition. */
export async function commitHeld(
  d: DriftDeps,
  consumer: Consumer,
  topic: string,
  partition: number,
  next: bigint,
): Promise<void> {
  let offset = next;
  for (const s of d.sets) {
    const held = s.w.heldOffsets().get(partition);
    if (held !== undefined && held < offset) offset = held;
  }
  await consumer.commitOffsets([{ topic, partition, offset: offset.toString() }]);
}
