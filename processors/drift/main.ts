// Drift processor: the scored topic (Production predictions, with features) in event-time tumbling
// windows of each configured size; each closed window is compared with the reference profile (the
// model's held-out data, scored by it) and the results go to ClickHouse (drift_metrics,
// drift_windows) and the drift topic. Windows hold bounded summaries (sketches and counts, per app),
// never records. Offsets are committed only up to the oldest record still in an unstored window, so
// after a restart the open windows are rebuilt from Kafka. Wiring only: see stream.ts and handler.ts.
import path from 'node:path';
import type { Context, Processor } from '../kit/context.js';
import type { Consumer } from '../../platform/kafka/kafka.js';
import type { Logger } from '../../platform/logger.js';
import { consume, DeadLetters, Health, outageWaiter } from '../kit/kit.js';
import { parseDriftConfig, type DriftConfig } from './config.js';
import { SegmentReferences, type ReferenceRow } from './references.js';
import { parseDuration } from '../../platform/time.js';
import { driftMetrics } from './metrics.js';
import { packageReferenceLoader, referenceFor } from './reference.js';
import { ModelReferences } from './model-references.js';
import { RegistryFollower } from '../../platform/registry/follower.js';
import { batchHandler, commitHeld, windowCloser, windowSets, type DriftDeps } from './stream.js';

const NAME = 'drift';

/**
 * DRIFT_REFERENCE=window: the stored segment references; model: the scoring package's own profile
 * (found through the followed registry); dataset: the scored reference data set.
 */
async function references(
  ctx: Context,
  cfg: DriftConfig,
  log: Logger,
): Promise<Pick<DriftDeps, 'ref' | 'refs'> & { release?: () => Promise<void> }> {
  if (cfg.DRIFT_REFERENCE === 'model') {
    const follower = await RegistryFollower.for(ctx);
    const load = packageReferenceLoader({
      startupDir: cfg.DRIFT_MODEL_DIR,
      modelName: cfg.DRIFT_MODEL_NAME,
      registry: follower.state,
      artifactRoot: ctx.config.ULASAN_ARTIFACT_DIR,
    });
    const sources = cfg.DRIFT_REFERENCE_SOURCES.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const refs = new ModelReferences(load, sources, (version, why) =>
      log.warn({ version, why }, 'no model reference for this version: its windows are not tested'),
    );
    log.info({ sources: sources.length ? sources : 'all' }, 'model references ready');
    return { ref: null, refs, release: () => follower.release() };
  }
  if (cfg.DRIFT_REFERENCE === 'window') {
    const refs = new SegmentReferences(parseDuration(cfg.DRIFT_REFERENCE_PERIOD));
    refs.load(await ctx.store.query<ReferenceRow>(`SELECT * FROM ${ctx.store.database}.drift_references FINAL`));
    log.info({ restored: refs.size(), period: cfg.DRIFT_REFERENCE_PERIOD }, 'segment references ready');
    return { ref: null, refs };
  }
  const referenceFile = path.resolve(ctx.config.ULASAN_DATA_DIR, cfg.DRIFT_REFERENCE_DATASET);
  const ref = await referenceFor(cfg.DRIFT_MODEL_DIR, referenceFile);
  log.info({ rows: ref.profile.rows, model: ref.modelVersion }, 'reference profile ready');
  return { ref, refs: null };
}

async function driftDeps(ctx: Context, health: Health, log: Logger): Promise<DriftDeps> {
  const cfg = parseDriftConfig(ctx.env);
  const refs = await references(ctx, cfg, log);
  const producer = ctx.kafka.producer();
  await producer.connect();
  const deadLetters = new DeadLetters(ctx, NAME, producer);
  const wait = outageWaiter(ctx, NAME, health, log);
  return { ctx, cfg, ...refs, sets: windowSets(cfg), producer, deadLetters, m: driftMetrics(ctx.metrics), log, wait };
}

/** The scored-topic consumer; remembers each partition's next offset for the punctuator's commits. */
async function startConsumer(
  d: DriftDeps,
  health: Health,
  close: () => Promise<void>,
  lastNext: Map<number, { topic: string; next: bigint }>,
): Promise<Consumer> {
  const { ctx } = d;
  const late: { consumer?: Consumer } = {};
  const handler = batchHandler(d, () => late.consumer!, close);
  late.consumer = await consume(ctx, {
    groupId: d.cfg.DRIFT_GROUP,
    inputs: ['scored'],
    health,
    log: d.log,
    run: {
      autoCommit: false,
      eachBatch: async (payload) => {
        await handler(payload);
        const next = BigInt(payload.batch.messages.at(-1)!.offset) + 1n;
        lastNext.set(payload.batch.partition, { topic: payload.batch.topic, next });
      },
    },
    beforeRun: (c) =>
      c.on(c.events.GROUP_JOIN, (e) => {
        const assigned = e.payload.memberAssignment[ctx.topics.scored] ?? [];
        for (const s of d.sets) s.w.setPartitions(assigned, Date.now());
      }),
  });
  return late.consumer;
}

export const drift: Processor = {
  name: NAME,
  topology: {
    inputs: ['scored'],
    outputs: ['drift', 'deadLetter'],
    // DRIFT_REFERENCE=model follows the registry for the scoring versions' packages.
    reads: ['registry'],
    tables: ['drift_metrics', 'drift_windows', 'late_records'],
    commit: 'held',
    punctuators: [{ name: 'close quiet windows', every: 'DRIFT_IDLE_FLUSH_MS / 4', kind: 'wall-clock' }],
  },
  async start(ctx: Context) {
    const log = ctx.logger.child({ processor: NAME });
    const health = new Health(ctx.config.ULASAN_STALL_MS);
    const deps = await driftDeps(ctx, health, log);
    const close = windowCloser(deps);
    const lastNext = new Map<number, { topic: string; next: bigint }>();
    const consumer = await startConsumer(deps, health, () => close(), lastNext);
    // Punctuator: quiet streams still close windows on the wall clock; then re-commit what they freed.
    const punctuate = async (): Promise<void> => {
      await close(Date.now());
      for (const [partition, b] of lastNext) await commitHeld(deps, consumer, b.topic, partition, b.next);
    };
    const flush = ctx.scheduler.schedule(
      Math.max(250, Math.floor(deps.cfg.DRIFT_IDLE_FLUSH_MS / 4)),
      'wall-clock',
      punctuate,
      {
        name: 'close quiet windows',
        health,
      },
    );
    return {
      healthy: () => health.healthy(),
      reference: deps.ref,
      async stop() {
        await flush.cancel();
        await consumer.disconnect();
        await deps.producer.disconnect();
        await deps.release?.();
      },
    };
  },
};
