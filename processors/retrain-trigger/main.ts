// Retrain trigger: every TRIGGER_INTERVAL_MS it gathers the five triggers' inputs from ClickHouse
// (training runs, feedback joined with predictions, drift windows), runs the performance monitor,
// decides (rules.ts), and emits one RetrainRequest carrying every reason that fired. Its state (the
// baseline and the last request fired) lives in the compacted trigger-state topic, so a restart
// neither forgets nor fires twice. Every decision with a reason, fired or suppressed, is logged to
// ClickHouse `retrain_events`.
import { randomUUID } from 'node:crypto';
import type { RetrainRequest } from '../../schemas/types.generated.js';
import { parseConfig, z } from '../shared/config.js';
import type { Context, Processor } from '../shared/context.js';
import { counter } from '../shared/metrics.js';
import { toDateTime64 } from '../review-store/handler.js';
import { ModelRegistry, readToEnd } from '../registry/registry.js';
import { parseDuration } from '../drift/main.js';
import { evaluate as classificationMetrics } from '../../models/trainer/metrics.js';
import { SENTIMENTS, loadPackage } from '../../models/core/package.js';
import { artifactPath } from '../scoring/models.js';
import { DEFAULT_TRIGGERS, evaluateTriggers, type TriggerInputs } from './rules.js';

const NAME = 'retrain-trigger';
const dur = z.string().refine((s) => /^\d+(s|m|h|d)$/.test(s), 'must be a duration like 30s, 1h, 1d');

const triggerShape = {
  TRIGGER_MODEL_NAME: z.string().min(1).default('ulasan-compact'),
  TRIGGER_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  TRIGGER_MAX_DAYS: z.coerce.number().positive().default(DEFAULT_TRIGGERS.maxDays),
  TRIGGER_MIN_DAYS: z.coerce.number().min(0).default(DEFAULT_TRIGGERS.minDays),
  TRIGGER_NEW_LABELLED: z.coerce.number().int().positive().default(DEFAULT_TRIGGERS.newLabelled),
  TRIGGER_FEEDBACK_ERROR: z.coerce.number().min(0).max(1).default(DEFAULT_TRIGGERS.feedbackError),
  TRIGGER_ACCURACY_DROP: z.coerce.number().min(0).max(1).default(DEFAULT_TRIGGERS.accuracyDrop),
  TRIGGER_DRIFT_CONSECUTIVE: z.coerce.number().int().positive().default(DEFAULT_TRIGGERS.driftConsecutive),
  TRIGGER_DRIFT_SEVERITY: z.coerce.number().min(0).max(1).default(DEFAULT_TRIGGERS.driftSeverity),
  TRIGGER_COOLDOWN: dur.default('6h'),
  TRIGGER_PERF_WINDOW: dur.default('1d'),
  TRIGGER_MIN_FEEDBACK: z.coerce.number().int().positive().default(30),
  TRIGGER_DRIFT_WINDOW: dur.default('1h'),
  /** Validation accuracy to measure the drop against when the registry has no Production version. */
  TRIGGER_VALIDATION_ACCURACY: z.coerce.number().min(0).max(1).optional(),
};

export const retrainTrigger: Processor = {
  name: NAME,
  async start(ctx: Context) {
    const cfg = parseConfig(triggerShape, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const decisions = counter(ctx.metrics, { name: 'ulasan_trigger_decisions_total', help: 'Trigger decisions with at least one reason', labelNames: ['decision'] });
    const rules = {
      maxDays: cfg.TRIGGER_MAX_DAYS,
      minDays: cfg.TRIGGER_MIN_DAYS,
      newLabelled: cfg.TRIGGER_NEW_LABELLED,
      feedbackError: cfg.TRIGGER_FEEDBACK_ERROR,
      accuracyDrop: cfg.TRIGGER_ACCURACY_DROP,
      driftConsecutive: cfg.TRIGGER_DRIFT_CONSECUTIVE,
      driftSeverity: cfg.TRIGGER_DRIFT_SEVERITY,
      cooldownMs: parseDuration(cfg.TRIGGER_COOLDOWN),
    };
    const model = cfg.TRIGGER_MODEL_NAME;
    const db = ctx.store.database;
    const producer = ctx.kafka.producer();
    await producer.connect();

    // Restore state: the baseline (when monitoring began) and the last request fired.
    let baseline: number | null = null;
    let lastFired: RetrainRequest | null = null;
    await readToEnd(ctx.kafka, ctx.topics.triggerState, async (v) => {
      const r = (await ctx.serde.decode<RetrainRequest>(v, ctx.topics.triggerState)).value;
      if (r.model_name !== model) return;
      if (r.details?.kind === 'baseline') baseline = r.requested_at;
      else if (!lastFired || r.requested_at >= lastFired.requested_at) lastFired = r;
    });
    const saveState = async (r: RetrainRequest, key: string): Promise<void> => {
      await producer.send({ topic: ctx.topics.triggerState, messages: [{ key: `${model}/${key}`, value: await ctx.serde.encode(ctx.topics.triggerState, r) }], acks: -1 });
    };
    if (baseline === null) {
      baseline = Date.now();
      await saveState({ request_id: `baseline-${model}`, model_name: model, reasons: [], details: { kind: 'baseline' }, requested_by: NAME, force: false, requested_at: baseline }, 'baseline');
    }

    const num = async (sql: string, params?: Record<string, unknown>): Promise<number | null> => {
      const rows = await ctx.store.query<{ v: number | string | null }>(sql, params);
      const v = rows[0]?.v;
      return v === null || v === undefined ? null : Number(v);
    };

    const gather = async (now: number): Promise<TriggerInputs & { perf: Record<string, unknown> }> => {
      const lastRun = await num(`SELECT toUnixTimestamp64Milli(max(event_time)) AS v FROM ${db}.training_runs FINAL WHERE model_name = {m:String} AND status = 'succeeded' HAVING count() > 0`, { m: model });
      const lastTrainingAt = Math.max(lastRun ?? 0, baseline!);
      const newLabelled = (await num(`SELECT count() AS v FROM ${db}.feedback FINAL WHERE given_at > fromUnixTimestamp64Milli({t:Int64})`, { t: lastTrainingAt })) ?? 0;

      // Performance monitor: feedback of the window joined with the predictions it judges.
      const perfMs = parseDuration(cfg.TRIGGER_PERF_WINDOW);
      const from = Math.floor(now / perfMs) * perfMs;
      const pairs = await ctx.store.query<{ predicted: string; truth: string; n: string }>(
        `SELECT toString(p.label) AS predicted, toString(f.true_label) AS truth, count() AS n
         FROM ${db}.feedback AS f FINAL INNER JOIN (SELECT review_id, label FROM ${db}.predictions FINAL) AS p ON p.review_id = f.review_id
         WHERE f.given_at >= fromUnixTimestamp64Milli({from:Int64}) GROUP BY predicted, truth`,
        { from: now - perfMs },
      );
      const truth: number[] = [];
      const probs: number[][] = [];
      for (const p of pairs) {
        for (let k = 0; k < Number(p.n); k++) {
          truth.push(SENTIMENTS.indexOf(p.truth as never));
          probs.push(SENTIMENTS.map((s) => (s === p.predicted ? 1 : 0)));
        }
      }
      const enough = truth.length >= cfg.TRIGGER_MIN_FEEDBACK;
      const m = enough ? classificationMetrics([...SENTIMENTS], truth, probs) : null;
      // Label-free estimate (in the spirit of NannyML's CBPE): expected accuracy = mean confidence.
      const estimated = await num(`SELECT avg(confidence) AS v FROM ${db}.predictions FINAL WHERE scored_at >= fromUnixTimestamp64Milli({from:Int64}) HAVING count() > 0`, { from: now - perfMs });
      const registry = await ModelRegistry.open({ kafka: ctx.kafka, serde: ctx.serde, topics: ctx.topics, artifactDir: ctx.config.ULASAN_ARTIFACT_DIR });
      const prod = registry.state.production(model);
      let validation = cfg.TRIGGER_VALIDATION_ACCURACY ?? prod?.metrics?.accuracy ?? null;
      if (validation === null && prod) validation = Number(loadPackage(artifactPath(prod.artifact_uri)).meta.metrics.accuracy ?? NaN);
      const drop = m && validation !== null && Number.isFinite(validation) ? validation - m.accuracy : null;
      const perf = { model_name: model, model_version: prod ? String(prod.version) : 'default', window_start: toDateTime64(from), window_end: toDateTime64(from + perfMs), feedback_rows: truth.length, accuracy: m?.accuracy ?? null, macro_f1: m?.macro_f1 ?? null, error_rate: m ? 1 - m.accuracy : null, accuracy_drop: drop, estimated_accuracy: estimated, computed_at: toDateTime64(now) };

      const windows = await ctx.store.query<{ drifted: boolean | number; severity: number }>(
        `SELECT drifted, severity FROM ${db}.drift_windows FINAL WHERE window_size = {w:String} AND tested ORDER BY window_start DESC LIMIT 100`,
        { w: cfg.TRIGGER_DRIFT_WINDOW },
      );
      let consecutive = 0;
      for (const w of windows) {
        if (!w.drifted) break;
        consecutive += 1;
      }
      return {
        now,
        lastTrainingAt,
        newLabelledSinceTraining: newLabelled,
        feedbackErrorRate: m ? 1 - m.accuracy : null,
        accuracyDrop: drop,
        consecutiveDriftedWindows: consecutive,
        latestDriftSeverity: windows[0] ? Number(windows[0].severity) : 0,
        lastFiredAt: (lastFired as RetrainRequest | null)?.requested_at ?? null,
        perf,
      };
    };

    let lastLogged = '';
    const tick = async (): Promise<void> => {
      const now = Date.now();
      const inputs = await gather(now);
      await ctx.store.insert('performance_windows', [inputs.perf]);
      const d = evaluateTriggers(inputs, rules);
      if (d.reasons.length === 0) return;
      const requestId = randomUUID();
      const key = `${d.fire}/${d.reasons.join(',')}/${d.suppressedBy}`;
      if (d.fire || key !== lastLogged) {
        await ctx.store.insert('retrain_events', [
          { request_id: d.fire ? requestId : '', model_name: model, decision: d.fire ? 'fired' : 'suppressed', reasons: d.reasons, detail: JSON.stringify(d.detail), requested_by: NAME, decided_at: toDateTime64(now) },
        ]);
        lastLogged = key;
        decisions.inc({ decision: d.fire ? 'fired' : 'suppressed' });
      }
      if (!d.fire) return;
      const req: RetrainRequest = { request_id: requestId, model_name: model, reasons: d.reasons, details: d.detail, requested_by: NAME, force: false, requested_at: now };
      // State first: if the request send fails after this, the cooldown prevents a burst, and the
      // next tick past the cooldown asks again.
      await saveState(req, 'last-fired');
      lastFired = req;
      await producer.send({ topic: ctx.topics.retrain, messages: [{ key: model, value: await ctx.serde.encode(ctx.topics.retrain, req) }], acks: -1 });
      log.info({ reasons: d.reasons, detail: d.detail }, 'retrain requested');
    };

    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      tick()
        .catch((err: unknown) => log.error({ err }, 'trigger evaluation failed'))
        .finally(() => (busy = false));
    }, cfg.TRIGGER_INTERVAL_MS);
    return {
      healthy: () => true,
      async stop() {
        clearInterval(timer);
        while (busy) await new Promise((r) => setTimeout(r, 50));
        await producer.disconnect();
      },
    };
  },
};
