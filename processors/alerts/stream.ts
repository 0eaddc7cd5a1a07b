// The alerts processor's stream work: batches of scored reviews into the detector, the watermark
// forward, and each alert change out (ClickHouse row, then the alerts topic, then the notifier),
// skipping changes the alerts topic already holds (a restart or a replay re-derives them).
import type { Alert, ScoredReview } from '../../schemas/types.generated.js';
import type { Context } from '../kit/context.js';
import type { EachBatchPayload, Producer } from '../../platform/kafka/kafka.js';
import { recordFailure, type DeadLetters, type outageWaiter } from '../kit/kit.js';
import type { Logger } from '../../platform/logger.js';
import { readToEnd } from '../../platform/kafka/read-to-end.js';
import type { AlertDetector, AlertDraft } from './detector.js';
import { alertRecord, alertRow, observation } from './handler.js';
import type { AlertsMetrics } from './metrics.js';
import type { Notifier } from './notify.js';
import { boundedReason, quotes, reasonOf, type TermMatcher } from './reason.js';
import type { Watermark } from './watermark.js';

export interface AlertsDeps {
  ctx: Context;
  /** Replaced on every group join: the consumer then reads from the beginning again (nothing is committed). */
  detector: AlertDetector;
  watermark: Watermark;
  /** alert_id -> the statuses the alerts topic holds, and the reason it opened with. */
  known: Map<string, Known>;
  producer: Producer;
  deadLetters: DeadLetters;
  notifier: Notifier;
  matcher: TermMatcher;
  texts(ids: readonly string[]): Promise<Map<string, string>>;
  m: AlertsMetrics;
  log: Logger;
  wait: ReturnType<typeof outageWaiter>;
}

export interface Known {
  /** Every status of the alert already on the topic (a replay re-derives the open one first). */
  statuses: Set<Alert['status']>;
  openReason: string;
}

/** What the alerts topic already holds: the latest status of every alert (undecodable ones dead-lettered). */
export async function restoreKnown(
  d: Pick<AlertsDeps, 'ctx' | 'wait' | 'deadLetters' | 'log'>,
): Promise<Map<string, Known>> {
  const { ctx } = d;
  const known = new Map<string, Known>();
  await readToEnd(ctx.kafka, ctx.topics.alerts, async (v, at) => {
    if (v === null) return;
    try {
      const a = (await d.wait('decode', () => ctx.serde.decode<Alert>(v, ctx.topics.alerts))).value;
      const k = known.get(a.alert_id) ?? { statuses: new Set(), openReason: '' };
      k.statuses.add(a.status);
      if (a.status === 'open') k.openReason = a.reason;
      known.set(a.alert_id, k);
    } catch (err) {
      const { partition, message } = at;
      const origin = { topic: ctx.topics.alerts, partition, offset: message.offset, key: message.key, value: v };
      await d.deadLetters.send([await d.deadLetters.message(origin, recordFailure(err))], { log: d.log });
    }
  });
  return known;
}

/** One batch: decode (bad records dead-lettered), count, move the watermark, write what changed. */
export function batchHandler(d: AlertsDeps, serial: Serial): (p: EachBatchPayload) => Promise<void> {
  const { ctx } = d;
  return async ({ batch, heartbeat, isRunning, isStale }) => {
    const dead = [];
    const keepGoing = () => isRunning() && !isStale();
    for (const message of batch.messages) {
      let s: ScoredReview;
      try {
        // The cached compiled reader without a promise per record; the awaited decode (a wait through a
        // registry outage) only when the registry must answer: a new schema id, another subject's id.
        const decode = () => ctx.serde.decode<ScoredReview>(message.value, ctx.topics.scored);
        s = (
          ctx.serde.decodeSync<ScoredReview>(message.value, ctx.topics.scored) ??
          (await d.wait('decode', decode, { heartbeat, keepGoing }))
        ).value;
      } catch (err) {
        const origin = {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
        };
        dead.push(await d.deadLetters.message(origin, recordFailure(err)));
        continue;
      }
      d.watermark.saw(batch.partition, s.created_at, Date.now(), BigInt(message.offset));
      const o = observation(s);
      const counted = o ? d.detector.observe(o) : 'shadow';
      if (counted === 'counted') d.m.records.inc();
      else d.m.skipped.inc({ why: counted });
    }
    if (batch.messages.length) d.watermark.caughtUp(batch.partition, BigInt(batch.offsetLag()) <= 1n);
    await d.deadLetters.send(dead, { log: d.log, heartbeat, keepGoing });
    await serial(() => advance(d));
  };
}

export type Serial = <T>(fn: () => Promise<T>) => Promise<T>;

/** Runs async work one at a time (the batch handler and the idle punctuator share the detector). */
export function serializer(): Serial {
  let last: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const next = last.then(fn, fn);
    last = next.catch(() => undefined);
    return next;
  };
}

/** Closes what the watermark allows and writes the changes. */
export async function advance(d: AlertsDeps, now = Date.now()): Promise<void> {
  await probeEnds(d, now);
  const wm = d.watermark.at(now);
  if (wm === -Infinity) return;
  d.m.watermark.set(Math.floor(wm / 1000));
  for (const draft of d.detector.advance(wm)) await emit(d, draft);
  const open = new Map<string, number>();
  for (const a of d.detector.openAlerts()) open.set(a.kind, (open.get(a.kind) ?? 0) + 1);
  for (const kind of ['sentiment_turn', 'complaint_surge', 'version_regression'])
    d.m.open.set({ kind }, open.get(kind) ?? 0);
}

/**
 * Partitions gone quiet without reading as caught up (their last batch was fetched while more was
 * being written): compared with the topic's end offsets now, so they stop holding the watermark.
 */
async function probeEnds(d: AlertsDeps, now: number): Promise<void> {
  const quiet = d.watermark.dueForProbe(now);
  if (quiet.length === 0) return;
  const admin = d.ctx.kafka.admin();
  await admin.connect();
  try {
    for (const p of await admin.fetchTopicOffsets(d.ctx.topics.scored))
      if (quiet.includes(p.partition))
        d.watermark.caughtUp(p.partition, d.watermark.endsAt(p.partition, BigInt(p.high)));
  } finally {
    await admin.disconnect();
  }
}

/** Quoted terms per named topic, from the sampled reviews' texts (none when the texts are not stored). */
async function quotedTerms(d: AlertsDeps, draft: AlertDraft): Promise<Record<string, string[]>> {
  const ids = [...new Set([...draft.samples.values()].flat())];
  if (ids.length === 0) return {};
  const texts = await d.wait('read review texts', () => d.texts(ids));
  const out: Record<string, string[]> = {};
  for (const [topic, sample] of draft.samples) {
    const found = sample.map((id) => texts.get(id)).filter((t): t is string => t !== undefined);
    out[topic] = quotes(d.matcher, topic, found);
  }
  return out;
}

async function emit(d: AlertsDeps, draft: AlertDraft): Promise<void> {
  const seen = d.known.get(draft.alertId);
  if (seen?.statuses.has(draft.status)) return;
  // A resolved alert keeps what it opened with (the quoted terms) after its own sentence.
  const reason =
    draft.status === 'open'
      ? reasonOf(draft, await quotedTerms(d, draft))
      : boundedReason(`${reasonOf(draft, {})}; opened as: ${seen?.openReason ?? ''}`);
  const alert = alertRecord(draft, reason);
  const { ctx } = d;
  await d.wait('insert alert', () => ctx.store.insert('alerts', [alertRow(alert)]));
  const value = await d.wait('encode alert', () => ctx.serde.encode(ctx.topics.alerts, alert));
  const messages = [{ key: `${alert.app_id}/${alert.alert_id}`, value }];
  await d.wait('send alert', () => d.producer.send({ topic: ctx.topics.alerts, messages, acks: -1 }));
  const statuses = new Set([...(seen?.statuses ?? []), alert.status]);
  d.known.set(alert.alert_id, { statuses, openReason: seen?.openReason || alert.reason });
  d.m.changes.inc({ kind: alert.kind, status: alert.status });
  d.notifier.enqueue(alert);
  d.log.info({ alert_id: alert.alert_id, app_id: alert.app_id, kind: alert.kind, status: alert.status }, alert.reason);
}
