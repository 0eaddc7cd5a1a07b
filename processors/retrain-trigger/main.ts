// Retrain trigger: every TRIGGER_INTERVAL_MS it gathers the five triggers' inputs from ClickHouse
// (training runs, feedback joined with predictions, drift windows), runs the performance monitor,
// decides (rules.ts), and emits one RetrainRequest carrying every reason that fired. Its state (the
// baseline and the last request fired) lives in the compacted trigger-state topic, so a restart
// neither forgets nor fires twice. Every decision with a reason, fired or suppressed, is logged to
// ClickHouse `retrain_events`. Wiring only: the tick is in tick.ts.
import type { Context, Processor } from '../kit/context.js';
import { DeadLetters, Health, outageWaiter } from '../kit/kit.js';
import { counter } from '../../platform/metrics.js';
import { followedRegistry } from '../../platform/registry/follower.js';
import { parseTriggerConfig, triggerRules } from './config.js';
import { NAME, restoreState, ticker, type TriggerDeps } from './tick.js';

export const retrainTrigger: Processor = {
  name: NAME,
  topology: {
    inputs: ['triggerState'],
    outputs: ['retrain', 'triggerState', 'deadLetter'],
    reads: ['registry'],
    tables: ['performance_windows', 'retrain_events'],
    commit: 'none',
    punctuators: [{ name: 'evaluate the five triggers', every: 'TRIGGER_INTERVAL_MS', kind: 'wall-clock' }],
  },
  async start(ctx: Context) {
    const cfg = parseTriggerConfig(ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const health = new Health(Math.max(ctx.config.ULASAN_STALL_MS, 3 * cfg.TRIGGER_INTERVAL_MS));
    const decisions = counter(ctx.metrics, {
      name: 'ulasan_trigger_decisions_total',
      help: 'Trigger decisions with at least one reason',
      labelNames: ['decision'],
    });
    const producer = ctx.kafka.producer();
    await producer.connect();
    const { registry, follower } = await followedRegistry(ctx);
    const deps: TriggerDeps = {
      ctx,
      cfg,
      rules: triggerRules(cfg),
      registry,
      producer,
      deadLetters: new DeadLetters(ctx, NAME, producer),
      log,
      wait: outageWaiter(ctx, NAME, health, log),
      onDecision: (decision) => decisions.inc({ decision }),
    };
    const tick = ticker(deps, await restoreState(deps));
    // A failed evaluation is reported to health by the scheduler and retried at the next interval.
    const evaluation = ctx.scheduler.schedule(cfg.TRIGGER_INTERVAL_MS, 'wall-clock', () => tick(), {
      name: 'evaluation',
      health,
    });
    return {
      healthy: () => health.healthy(),
      async stop() {
        await evaluation.cancel();
        await follower.release();
        await producer.disconnect();
      },
    };
  },
};
