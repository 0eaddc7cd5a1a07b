// Replay / backtest: reads a range of a reviews topic with its own consumer (a throwaway group that
// seeks and commits nothing), scores it with a chosen model, compares with the production
// predictions (read back from the scored topic) and with feedback labels, stores each result in
// ClickHouse `backtest_predictions` keyed by run id, and returns the report. Resumable: progress is
// saved per run id after each batch, and a resumed run continues where it stopped.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Feedback, Review, ScoredReview, Sentiment } from '../../schemas/types.generated.js';
import { InferenceEngine } from '../../models/core/engine.js';
import { SENTIMENTS } from '../../models/core/package.js';
import { evaluate } from '../../models/trainer/metrics.js';
import type { Context } from '../shared/context.js';
import { toDateTime64 } from '../shared/time.js';
import { sentimentProbs, topSentiment } from '../shared/sentiment.js';
import { readToEnd } from '../shared/registry/registry.js';

export type Bound = { kind: 'offset'; value: number } | { kind: 'time'; value: number };

export function parseBound(s: string): Bound {
  if (/^\d+$/.test(s)) return { kind: 'offset', value: Number(s) };
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`"${s}" is neither an offset nor an ISO time`);
  return { kind: 'time', value: t };
}

export interface ReplayOptions {
  topic: string;
  from: Bound;
  to: Bound;
  modelDir: string;
  runId?: string;
  stateDir: string;
  onProgress?: (done: number, total: number) => void;
}

export interface ReplayReport {
  run_id: string;
  topic: string;
  model_version: string;
  replayed: number;
  compared_with_production: number;
  agreement: number | null;
  changes: Record<string, number>;
  per_class_counts: Record<Sentiment, number>;
  with_feedback: number;
  accuracy: number | null;
  macro_f1: number | null;
}

async function offsetsFor(ctx: Context, topic: string, b: Bound, edge: 'start' | 'end'): Promise<Map<number, number>> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const bounds = await admin.fetchTopicOffsets(topic);
    const out = new Map<number, number>();
    if (b.kind === 'offset') {
      // An offset bound applies to every partition, clamped to what exists.
      for (const p of bounds) out.set(p.partition, Math.min(Math.max(b.value + (edge === 'end' ? 1 : 0), Number(p.low)), Number(p.high)));
    } else {
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, b.value);
      for (const p of byTime) out.set(p.partition, Number(p.offset) < 0 ? Number(bounds.find((x) => x.partition === p.partition)!.high) : Number(p.offset));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export async function runReplay(ctx: Context, o: ReplayOptions): Promise<ReplayReport> {
  const runId = o.runId ?? randomUUID();
  mkdirSync(o.stateDir, { recursive: true });
  const stateFile = path.join(o.stateDir, `${runId}.json`);
  const saved = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { next: Record<string, number>; end: Record<string, number> }) : null;
  const start = saved ? new Map(Object.entries(saved.next).map(([k, v]) => [Number(k), v])) : await offsetsFor(ctx, o.topic, o.from, 'start');
  const end = saved ? new Map(Object.entries(saved.end).map(([k, v]) => [Number(k), v])) : await offsetsFor(ctx, o.topic, o.to, o.to.kind === 'time' ? 'start' : 'end');
  const total = [...end.entries()].reduce((s, [p, e]) => s + Math.max(0, e - (start.get(p) ?? e)), 0);
  const engine = await InferenceEngine.load(o.modelDir, { maxBatch: 256 });
  const db = ctx.store.database;
  const next = new Map(start);
  let done = 0;

  const pending = [...end.entries()].filter(([p, e]) => (start.get(p) ?? e) < e);
  if (pending.length) {
    const consumer = ctx.kafka.consumer({ groupId: `ulasan-replay-${runId}-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: o.topic });
    const left = new Set(pending.map(([p]) => p));
    let resolveDone!: () => void;
    const finished = new Promise<void>((resolve) => (resolveDone = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const stop = end.get(batch.partition);
        if (stop === undefined || !left.has(batch.partition)) return;
        const msgs = batch.messages.filter((m) => Number(m.offset) >= (next.get(batch.partition) ?? 0) && Number(m.offset) < stop);
        const reviews: Review[] = [];
        for (const m of msgs) {
          try {
            reviews.push((await ctx.serde.decode<Review>(m.value, o.topic)).value);
          } catch {
            /* dead letters were never scored in production either */
          }
        }
        if (reviews.length) {
          const preds = await engine.predict(reviews.map((r) => r.text));
          await ctx.store.insert(
            'backtest_predictions',
            reviews.map((r, i) => {
              const probs = sentimentProbs(preds[i]!, engine.pkg.sentiments);
              return { run_id: runId, review_id: r.review_id, app_id: r.app_id, label: topSentiment(probs), prob_negative: probs.negative, prob_neutral: probs.neutral, prob_positive: probs.positive, model_version: engine.version, created_at: toDateTime64(r.created_at), replayed_at: toDateTime64(Date.now()) };
            }),
          );
        }
        done += msgs.length;
        const last = Number(batch.messages.at(-1)?.offset ?? -1);
        next.set(batch.partition, Math.max(next.get(batch.partition) ?? 0, Math.min(last + 1, stop)));
        writeFileSync(stateFile, JSON.stringify({ next: Object.fromEntries(next), end: Object.fromEntries(end) }));
        o.onProgress?.(done, total);
        if ((next.get(batch.partition) ?? 0) >= stop) left.delete(batch.partition);
        if (left.size === 0) resolveDone();
      },
    });
    // Seek once running (kafkajs applies seeks to the running consumer's assignment).
    for (const [p] of pending) consumer.seek({ topic: o.topic, partition: p, offset: String(next.get(p)) });
    await finished;
    await consumer.disconnect();
  }
  await engine.close();

  // Production predictions and true labels for the replayed reviews, from their topics.
  const production = new Map<string, Sentiment>();
  const scoredTopic = o.topic.replace(/ulasan\.reviews$/, 'ulasan.reviews.scored');
  await readToEnd(ctx.kafka, scoredTopic, async (v) => {
    const s = (await ctx.serde.decode<ScoredReview>(v)).value;
    if (!s.shadow) production.set(s.review_id, s.label);
  });
  const truth = new Map<string, Sentiment>();
  await readToEnd(ctx.kafka, ctx.topics.feedback, async (v) => {
    const f = (await ctx.serde.decode<Feedback>(v)).value;
    truth.set(f.review_id, f.true_label);
  });
  const rows = await ctx.store.query<{ review_id: string; label: Sentiment; p0: number; p1: number; p2: number }>(
    `SELECT review_id, toString(label) AS label, prob_negative AS p0, prob_neutral AS p1, prob_positive AS p2 FROM ${db}.backtest_predictions FINAL WHERE run_id = {run:String}`,
    { run: runId },
  );
  const changes: Record<string, number> = {};
  let compared = 0;
  let agree = 0;
  const perClass: Record<Sentiment, number> = { negative: 0, neutral: 0, positive: 0 };
  const t: number[] = [];
  const probs: number[][] = [];
  for (const r of rows) {
    perClass[r.label] += 1;
    const prod = production.get(r.review_id);
    if (prod) {
      compared += 1;
      if (prod === r.label) agree += 1;
      else changes[`${prod}->${r.label}`] = (changes[`${prod}->${r.label}`] ?? 0) + 1;
    }
    const y = truth.get(r.review_id);
    if (y) {
      t.push(SENTIMENTS.indexOf(y));
      probs.push([r.p0, r.p1, r.p2]);
    }
  }
  const m = t.length ? evaluate([...SENTIMENTS], t, probs) : null;
  const report: ReplayReport = {
    run_id: runId,
    topic: o.topic,
    model_version: engine.version,
    replayed: rows.length,
    compared_with_production: compared,
    agreement: compared ? agree / compared : null,
    changes,
    per_class_counts: perClass,
    with_feedback: t.length,
    accuracy: m?.accuracy ?? null,
    macro_f1: m?.macro_f1 ?? null,
  };
  writeFileSync(path.join(o.stateDir, `${runId}.report.json`), JSON.stringify(report, null, 2));
  return report;
}
