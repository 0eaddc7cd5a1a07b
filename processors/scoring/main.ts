// Scoring processor: reviews -> validate -> 14 features -> model -> ClickHouse (predictions,
// review_features, shadow_predictions) and the scored topic; bad records -> dead-letter topic.
// Wiring only: the stream work (and its exactly-once argument) is in stream.ts, the pure row
// building in handler.ts.
import type { Logger } from '../../platform/logger.js';
import { parseConfig } from '../../platform/config.js';
import type { Context, Processor } from '../kit/context.js';
import { consume, Health, outageWaiter } from '../kit/kit.js';
import { defaultTagger } from '../../models/topics/tagger.js';
import { ModelHolder } from '../../models/serving/model-holder.js';
import { DEFAULT_LIMITS } from '../kit/review.js';
import { scoringShape } from './config.js';
import { scoringMetrics, type ScoringMetrics } from './metrics.js';
import { RegistryFollower } from '../../platform/registry/follower.js';
import { batchHandler } from './stream.js';
import { RenewableTransactionalProducer } from '../../platform/kafka/transactional.js';

const NAME = 'scoring';

function reportModels(models: ModelHolder, m: ScoringMetrics): void {
  const setInfo = (): void => {
    m.modelInfo.reset();
    const { production, shadow } = models.snapshot();
    m.modelInfo.set({ role: 'production', model_name: production.name, model_version: production.version }, 1);
    if (shadow) m.modelInfo.set({ role: 'shadow', model_name: shadow.name, model_version: shadow.version }, 1);
  };
  setInfo();
  models.onSwap(({ role }) => {
    m.reloads.inc({ role });
    setInfo();
  });
}

async function loadModels(
  cfg: ReturnType<typeof parseConfig<typeof scoringShape>>,
  log: Logger,
  metrics: Context['metrics'],
): Promise<ModelHolder> {
  const engine = { intraOpThreads: cfg.SCORING_INTRA_OP_THREADS, maxBatch: cfg.SCORING_ENGINE_BATCH };
  return ModelHolder.start(
    cfg.SCORING_MODEL_DIR,
    cfg.SCORING_MODEL_NAME,
    { engine, artifactRoot: cfg.ULASAN_ARTIFACT_DIR, metrics },
    log,
  );
}

export const scoring: Processor = {
  name: NAME,
  topology: {
    inputs: ['reviews'],
    outputs: ['scored', 'deadLetter'],
    reads: ['registry'],
    tables: ['predictions', 'review_features', 'shadow_predictions'],
    commit: 'transaction',
    punctuators: [],
  },
  async start(ctx: Context) {
    const cfg = parseConfig(scoringShape, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const m = scoringMetrics(ctx.metrics);
    const health = new Health(ctx.config.ULASAN_STALL_MS);
    const models = await loadModels(cfg, log, ctx.metrics);
    reportModels(models, m);
    // The topic taxonomy is compiled here, once, not inside the first batch (a bad file fails start-up).
    const tagger = defaultTagger();
    log.info({ taxonomy: tagger.version, topics: tagger.topicIds.length }, 'topic taxonomy compiled');
    const follower = await RegistryFollower.for(ctx);
    follower.onEvent((e) => models.observe(e));
    const transactionalId = `ulasan-scoring-${cfg.SCORING_INSTANCE_ID}-${ctx.topics.reviews}`;
    const producer = new RenewableTransactionalProducer(
      () => ctx.kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true }),
      (err) => log.warn({ err }, 'transaction abort failed: the producer is replaced before the retry'),
    );
    await producer.connect();
    const limits = { ...DEFAULT_LIMITS, maxTextBytes: cfg.SCORING_MAX_TEXT_BYTES };
    const encodeScored = await ctx.serde.batchEncoderFor(ctx.topics.scored);
    const wait = outageWaiter(ctx, NAME, health, log);
    const eachBatch = batchHandler({ ctx, cfg, name: NAME, limits, models, producer, encodeScored, m, wait });
    const consumer = await consume(ctx, {
      groupId: cfg.SCORING_GROUP,
      inputs: scoring.topology.inputs,
      health,
      log,
      consumerConfig: {
        sessionTimeout: cfg.SCORING_SESSION_TIMEOUT_MS,
        heartbeatInterval: Math.floor(cfg.SCORING_SESSION_TIMEOUT_MS / 5),
        // About 5,000 short reviews per partition batch: fewer transactions and ClickHouse parts per
        // review (1 MB measured 13 % faster than 256 KB in bench:scoring), still committed often.
        maxBytesPerPartition: cfg.SCORING_MAX_BATCH_BYTES,
      },
      run: { autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch },
    });
    log.info({ topic: ctx.topics.reviews, model: models.snapshot().production.version }, 'scoring consuming');
    return {
      healthy: () => health.healthy(),
      models,
      async stop() {
        await consumer.disconnect();
        await producer.disconnect();
        await follower.release();
        await models.close();
      },
    };
  },
};
