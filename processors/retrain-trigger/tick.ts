// The trigger's punctuator: every interval, gather the five triggers' inputs, decide, log the
// decision and (when it fires) save state and send the RetrainRequest. State (the baseline and the
// last request fired) lives in the compacted trigger-state topic, restored at start.
import { randomUUID } from 'node:crypto';
import { loadPackage } from '../../models/core/package.js';
import type { RetrainRequest } from '../../schemas/types.generated.js';
import type { Context } from '../kit/context.js';
import type { Producer } from '../../platform/kafka/kafka.js';
import type { DeadLetters, outageWaiter } from '../kit/kit.js';
import { recordFailure } from '../kit/kit.js';
import type { Logger } from '../../platform/logger.js';
import { artifactPath } from '../../models/serving/model-holder.js';
import { readToEnd } from '../../platform/kafka/read-to-end.js';
import type { ModelRegistry } from '../../platform/registry/registry.js';
import { parseDuration, toDateTime64 } from '../../platform/time.js';
import type { TriggerConfig } from './config.js';
import { decisionRow, driftStreak, performance, retrainRequest, segmentStreak } from './handler.js';
import * as q from './queries.js';
import { DAY, evaluateTriggers, type TriggerConfig as TriggerRules, type TriggerInputs } from './rules.js';

export const NAME = 'retrain-trigger';

export interface TriggerDeps {
  ctx: Context;
  cfg: TriggerConfig;
  rules: TriggerRules;
  registry: ModelRegistry;
  producer: Producer;
  deadLetters: DeadLetters;
  log: Logger;
  wait: ReturnType<typeof outageWaiter>;
  onDecision: (decision: 'fired' | 'suppressed') => void;
}

export interface TriggerState {
  baseline: number | null;
  lastFired: RetrainRequest | null;
}

/** Restores state from the trigger-state topic; unreadable entries are dead-lettered, tombstones skipped. */
export async function restoreState(d: TriggerDeps): Promise<TriggerState> {
  const { ctx } = d;
  const model = d.cfg.TRIGGER_MODEL_NAME;
  const state: TriggerState = { baseline: null, lastFired: null };
  await readToEnd(ctx.kafka, ctx.topics.triggerState, async (v, at) => {
    if (v === null) return; // a tombstone deletes a key of a compacted topic: nothing to restore
    let r: RetrainRequest;
    try {
      r = (await d.wait('decode', () => ctx.serde.decode<RetrainRequest>(v, ctx.topics.triggerState))).value;
    } catch (err) {
      const origin = {
        topic: ctx.topics.triggerState,
        partition: at.partition,
        offset: at.message.offset,
        key: at.message.key,
        value: v,
      };
      await d.deadLetters.send([await d.deadLetters.message(origin, recordFailure(err))], { log: d.log });
      return;
    }
    if (r.model_name !== model) return;
    if (r.details?.kind === 'baseline') state.baseline = r.requested_at;
    else if (!state.lastFired || r.requested_at >= state.lastFired.requested_at) state.lastFired = r;
  });
  if (state.baseline === null) {
    state.baseline = Date.now();
    const r: RetrainRequest = {
      request_id: `baseline-${model}`,
      model_name: model,
      reasons: [],
      details: { kind: 'baseline' },
      requested_by: NAME,
      force: false,
      requested_at: state.baseline,
    };
    await saveState(d, r, 'baseline');
  }
  return state;
}

async function saveState(d: TriggerDeps, r: RetrainRequest, key: string): Promise<void> {
  const { ctx } = d;
  const value = await ctx.serde.encode(ctx.topics.triggerState, r);
  const messages = [{ key: `${d.cfg.TRIGGER_MODEL_NAME}/${key}`, value }];
  await d.wait('save trigger state', () => d.producer.send({ topic: ctx.topics.triggerState, messages, acks: -1 }));
}

async function validationAccuracy(d: TriggerDeps): Promise<number | null> {
  const prod = d.registry.state.production(d.cfg.TRIGGER_MODEL_NAME);
  const known = d.cfg.TRIGGER_VALIDATION_ACCURACY ?? prod?.metrics?.accuracy ?? null;
  if (known !== null || !prod) return known;
  return Number(loadPackage(artifactPath(prod.artifact_uri)).meta.metrics.accuracy ?? NaN);
}

async function gather(
  d: TriggerDeps,
  state: TriggerState,
  now: number,
): Promise<TriggerInputs & { perf: Record<string, unknown> }> {
  const { store } = d.ctx;
  const model = d.cfg.TRIGGER_MODEL_NAME;
  // Order matters. Whether the last request is still in flight is read first, and the registry is
  // caught up after it: the launcher promotes before it records the run as finished, so a run seen
  // finished here has its promotion in the state read below. Read the other way round, a tick could
  // take the old Production's drifted windows as current and see the run finished a moment later:
  // a second request for the alarm the first one just cleared.
  const requestInFlight = await inFlight(store, state.lastFired, now);
  await d.registry.refresh();
  const lastTrainingAt = Math.max((await q.lastSucceededRun(store, model)) ?? 0, state.baseline!);
  // Performance monitor: feedback of the window joined with the predictions it judges.
  const perfMs = parseDuration(d.cfg.TRIGGER_PERF_WINDOW);
  const from = Math.floor(now / perfMs) * perfMs;
  const { rows, metrics: m } = performance(await q.judgedPairs(store, from), d.cfg.TRIGGER_MIN_FEEDBACK);
  const validation = await validationAccuracy(d);
  const drop = m && validation !== null && Number.isFinite(validation) ? validation - m.accuracy : null;
  const prod = d.registry.state.production(model);
  const perf = {
    model_name: model,
    model_version: prod ? String(prod.version) : 'default',
    window_start: toDateTime64(from),
    window_end: toDateTime64(from + perfMs),
    feedback_rows: rows,
    accuracy: m?.accuracy ?? null,
    macro_f1: m?.macro_f1 ?? null,
    error_rate: m ? 1 - m.accuracy : null,
    accuracy_drop: drop,
    estimated_accuracy: await q.meanConfidenceSince(store, now - perfMs),
    computed_at: toDateTime64(now),
  };
  const drift = await driftInputs(store, d.cfg.TRIGGER_DRIFT_WINDOW, prod ? String(prod.version) : null);
  const estimated = perf.estimated_accuracy;
  const estimatedAccuracyDrop =
    estimated !== null && validation !== null && Number.isFinite(validation) ? validation - estimated : null;
  return {
    estimatedAccuracyDrop,
    now,
    lastTrainingAt,
    newLabelledSinceTraining: await q.feedbackSince(store, lastTrainingAt),
    feedbackErrorRate: m ? 1 - m.accuracy : null,
    accuracyDrop: drop,
    ...drift,
    lastFiredAt: state.lastFired?.requested_at ?? null,
    requestInFlight,
    perf,
  };
}

/** A request counts as in flight until its run finishes, for a day at most (a launcher may be gone). */
async function inFlight(store: Context['store'], last: RetrainRequest | null, now: number): Promise<boolean> {
  if (!last || now - last.requested_at > DAY) return false;
  return !(await q.requestFinished(store, last.request_id));
}

/**
 * The drift streak: per segment when the drift processor keeps segment windows (window references),
 * else the global windows (a dataset reference). Only windows judged against the Production model's
 * own reference count: after a promotion the old model's drifted windows no longer speak for the
 * new one (its reference is being captured), so the alarm clears instead of firing again.
 */
async function driftInputs(
  store: Context['store'],
  windowSize: string,
  production: string | null,
): Promise<Pick<TriggerInputs, 'consecutiveDriftedWindows' | 'latestDriftSeverity' | 'driftSegment'>> {
  const segmentWindows = await q.latestSegmentWindows(store, windowSize);
  const best = segmentStreak(segmentWindows, production);
  if (segmentWindows.length > 0 && !best) return { consecutiveDriftedWindows: 0, latestDriftSeverity: 0 };
  if (best) {
    const driftSegment = {
      segment: best.segment,
      features: best.features,
      reason: best.reason,
      labelMixOnly: best.labelMixOnly,
    };
    return { consecutiveDriftedWindows: best.consecutive, latestDriftSeverity: best.severity, driftSegment };
  }
  const windows = await q.latestDriftWindows(store, windowSize);
  return {
    consecutiveDriftedWindows: driftStreak(windows),
    latestDriftSeverity: windows[0] ? Number(windows[0].severity) : 0,
  };
}

/** One evaluation; repeated suppressions with the same reasons are logged once. */
export function ticker(d: TriggerDeps, state: TriggerState): () => Promise<void> {
  let lastLogged = '';
  const model = d.cfg.TRIGGER_MODEL_NAME;
  return async () => {
    const now = Date.now();
    const inputs = await gather(d, state, now);
    await d.ctx.store.insert('performance_windows', [inputs.perf]);
    const decision = evaluateTriggers(inputs, d.rules);
    if (decision.reasons.length === 0 && decision.suppressedBy === null) return;
    const requestId = randomUUID();
    const key = `${decision.fire}/${decision.reasons.join(',')}/${decision.suppressedBy}`;
    if (decision.fire || key !== lastLogged) {
      await d.ctx.store.insert('retrain_events', [decisionRow(decision, requestId, model, NAME, now)]);
      lastLogged = key;
      d.onDecision(decision.fire ? 'fired' : 'suppressed');
    }
    if (!decision.fire) return;
    const req = retrainRequest(decision, requestId, model, NAME, now);
    // State first: if the request send fails after this, the cooldown prevents a burst, and the
    // next tick past the cooldown asks again.
    await saveState(d, req, 'last-fired');
    state.lastFired = req;
    const value = await d.ctx.serde.encode(d.ctx.topics.retrain, req);
    await d.wait('send retrain request', () =>
      d.producer.send({ topic: d.ctx.topics.retrain, messages: [{ key: model, value }], acks: -1 }),
    );
    d.log.info({ reasons: decision.reasons, detail: decision.detail }, 'retrain requested');
  };
}
