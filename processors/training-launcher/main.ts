// Training launcher: RetrainRequests -> one training job at a time -> gates -> registry.
//
// Durability: a request's offset is committed only once its run's `started` TrainingRun event is
// acknowledged. A crash before that redelivers the request; a crash after it leaves a started run
// with no outcome, which the next start marks failed and re-runs once (attempt 2). A re-run first
// checks the registry for a version of the crashed run, so no run registers twice. An unreadable
// request is dead-lettered, and its offset is never committed past a request still waiting.
// Wiring only: one run is run.ts, the queue queue.ts.
import type { RetrainRequest, TrainingRun } from '../../schemas/types.generated.js';
import type { Context, Processor } from '../kit/context.js';
import type { Consumer, EachMessagePayload } from '../../platform/kafka/kafka.js';
import { consume, DeadLetters, Health, outageWaiter, recordFailure } from '../kit/kit.js';
import { counter, gauge } from '../../platform/metrics.js';
import { readToEnd } from '../../platform/kafka/read-to-end.js';
import { registerFirstVersion } from '../../platform/registry/bootstrap.js';
import { followedRegistry } from '../../platform/registry/follower.js';
import { parseLauncherConfig } from './config.js';
import { retryOf } from './handler.js';
import { gitSha } from './job.js';
import { RunQueue } from './queue.js';
import { emitRun, NAME, runOnce, type LauncherDeps } from './run.js';

/** Runs that started but never finished were interrupted by a crash: mark failed, re-run once. */
async function recoverInterrupted(d: LauncherDeps, queue: RunQueue): Promise<void> {
  const { ctx, cfg } = d;
  const runs = new Map<string, TrainingRun>();
  await readToEnd(ctx.kafka, ctx.topics.trainingRuns, async (v) => {
    // Unreadable run events are the registry mirror's to dead-letter; recovery needs only readable ones.
    const r = await d
      .wait('decode', () => ctx.serde.decode<TrainingRun>(v, ctx.topics.trainingRuns))
      .then(
        (x) => x.value,
        () => null,
      );
    if (!r || r.model_name !== cfg.LAUNCHER_MODEL_NAME) return;
    const cur = runs.get(r.run_id);
    if (!cur || cur.status === 'started') runs.set(r.run_id, r);
  });
  for (const r of runs.values()) {
    if (r.status !== 'started') continue;
    const registered = d.registry.state.versions(cfg.LAUNCHER_MODEL_NAME).find((v) => v.run_id === r.run_id);
    const reason = registered
      ? `launcher crashed after registering version ${registered.version}`
      : 'launcher crashed during the run';
    await emitRun(d, {
      ...r,
      status: 'failed',
      reason,
      model_version: registered?.version ?? null,
      event_time: Date.now(),
    });
    d.onOutcome('failed');
    const retry = retryOf(r, registered?.version ?? null, NAME);
    if (retry) {
      queue.retry({ ...retry, commit: async () => undefined });
      d.log.warn({ runId: r.run_id }, 'interrupted run marked failed; re-running once');
    }
  }
}

function onRequest(d: LauncherDeps, queue: RunQueue, deadLetters: DeadLetters, consumer: () => Consumer) {
  return async ({ topic, partition, message }: EachMessagePayload): Promise<void> => {
    const commit = () => consumer().commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
    let req: RetrainRequest;
    try {
      req = (await d.wait('decode', () => d.ctx.serde.decode<RetrainRequest>(message.value, topic))).value;
    } catch (err) {
      const origin = { topic, partition, offset: message.offset, key: message.key, value: message.value };
      await deadLetters.send([await deadLetters.message(origin, recordFailure(err))], { log: d.log });
      await queue.skip(commit);
      return;
    }
    if (req.model_name !== d.cfg.LAUNCHER_MODEL_NAME) return;
    queue.request(req, commit);
    await new Promise((r) => setImmediate(r));
  };
}

export const trainingLauncher: Processor = {
  name: NAME,
  topology: {
    inputs: ['retrain'],
    outputs: ['trainingRuns', 'registry', 'deadLetter'],
    reads: ['registry', 'trainingRuns'],
    tables: [],
    commit: 'on-start',
    punctuators: [],
  },
  async start(ctx: Context) {
    const cfg = parseLauncherConfig(ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const health = new Health(ctx.config.ULASAN_STALL_MS);
    const runsTotal = counter(ctx.metrics, {
      name: 'ulasan_launcher_runs_total',
      help: 'Training runs by outcome',
      labelNames: ['status'],
    });
    const running = gauge(ctx.metrics, { name: 'ulasan_launcher_running', help: '1 while a training job runs' });
    const { registry, follower } = await followedRegistry(ctx);
    if (cfg.LAUNCHER_BOOTSTRAP_MODEL_DIR) {
      const v1 = await registerFirstVersion(registry, cfg.LAUNCHER_MODEL_NAME, cfg.LAUNCHER_BOOTSTRAP_MODEL_DIR);
      if (v1) log.info({ version: v1.version, stage: v1.stage }, 'registered the start-up package (first run)');
    }
    const producer = ctx.kafka.producer();
    await producer.connect();
    const wait = outageWaiter(ctx, NAME, health, log);
    const onOutcome = (status: string): void => void runsTotal.inc({ status });
    const setRunning = (on: boolean): void => running.set(on ? 1 : 0);
    const d: LauncherDeps = { ctx, cfg, registry, producer, log, wait, sha: gitSha(), onOutcome, setRunning };
    const queue = new RunQueue((q) => runOnce(d, q.req, q.attempt, q.commit), health, log);
    await recoverInterrupted(d, queue);
    const ref: { consumer?: Consumer } = {};
    const eachMessage = onRequest(d, queue, new DeadLetters(ctx, NAME, producer), () => ref.consumer!);
    const consumer = (ref.consumer = await consume(ctx, {
      groupId: cfg.LAUNCHER_GROUP,
      inputs: ['retrain'],
      health,
      log,
      run: { autoCommit: false, eachMessage },
    }));
    log.info({ model: cfg.LAUNCHER_MODEL_NAME }, 'training launcher consuming retrain requests');
    return {
      healthy: () => health.healthy(),
      isBusy: () => queue.busy(),
      async stop() {
        await consumer.disconnect();
        await queue.stop();
        await follower.release();
        await producer.disconnect();
      },
    };
  },
};
