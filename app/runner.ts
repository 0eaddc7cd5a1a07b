// Runs any subset of processors in one process:  npm run processors -- review-store [...]
// (or ULASAN_PROCESSORS=a,b). One process is what embedded chdb requires; with a ClickHouse server
// each processor can equally run in its own process.
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { parseConfig, z } from '../platform/config.js';
import {
  createContext,
  processorContext,
  readKafkaIdentities,
  type Context,
  type Processor,
  type ProcessorHandle,
} from '../processors/kit/context.js';
import { isUlasanError } from '../platform/errors.js';
import { startOpsServer } from '../platform/ops-server.js';
import { Lifecycle } from '../platform/lifecycle.js';
import { createLogger } from '../platform/logger.js';
import { reviewStore } from '../processors/review-store/main.js';
import { scoring } from '../processors/scoring/main.js';
import { registryMirror } from '../processors/registry-mirror/main.js';
import { trainingLauncher } from '../processors/training-launcher/main.js';
import { drift } from '../processors/drift/main.js';
import { feedbackStore } from '../processors/feedback-store/main.js';
import { retrainTrigger } from '../processors/retrain-trigger/main.js';
import { gateway } from '../gateway/main.js';
import { deadLetterStore } from '../processors/dead-letter-store/main.js';
import { scraper } from '../processors/scraper/main.js';
import { alerts } from '../processors/alerts/main.js';

export const PROCESSORS: Record<string, Processor> = {
  [reviewStore.name]: reviewStore,
  [scoring.name]: scoring,
  [registryMirror.name]: registryMirror,
  [trainingLauncher.name]: trainingLauncher,
  [drift.name]: drift,
  [feedbackStore.name]: feedbackStore,
  [retrainTrigger.name]: retrainTrigger,
  [gateway.name]: gateway,
  [deadLetterStore.name]: deadLetterStore,
  [scraper.name]: scraper,
  [alerts.name]: alerts,
};

export interface Running {
  ctx: Context;
  handles: Record<string, ProcessorHandle>;
  lifecycle: Lifecycle;
  stop(): Promise<void>;
}

/** Starts the named processors on one shared context. Used by the CLI below, the demo and tests. */
export async function runProcessors(
  names: string[],
  env: NodeJS.ProcessEnv = process.env,
  opts: { opsServer?: boolean } = {},
): Promise<Running> {
  const config = parseConfig(
    {
      ULASAN_PROCESSORS: z
        .string()
        .optional()
        .refine(
          (s) => !s || s.split(',').every((n) => n.trim() in PROCESSORS),
          `must list known processors: ${Object.keys(PROCESSORS).join(', ')}`,
        ),
    },
    env,
  );
  const unknown = names.filter((n) => !(n in PROCESSORS));
  if (unknown.length)
    throw new Error(`unknown processor(s): ${unknown.join(', ')}; known: ${Object.keys(PROCESSORS).join(', ')}`);
  const ctx = await createContext(config, names.length === 1 ? names[0]! : 'runner', env);
  const lifecycle = new Lifecycle(ctx.logger);
  lifecycle.onStop('clickhouse', () => ctx.store.close());
  const handles: Record<string, ProcessorHandle> = {};
  const identities = config.KAFKA_CREDENTIALS_FILE ? readKafkaIdentities(config.KAFKA_CREDENTIALS_FILE) : null;
  for (const n of names) {
    const pctx = processorContext(ctx, n, identities);
    const h = await PROCESSORS[n]!.start(pctx);
    handles[n] = h;
    // The processor cancels its punctuators in stop(); the scheduler's stop is the safety net.
    lifecycle.onStop(n, () => h.stop().finally(() => pctx.scheduler.stop()));
  }
  if (opts.opsServer !== false) {
    const server = await startOpsServer(config.METRICS_PORT, config.METRICS_HOST, ctx.metrics, () =>
      Object.values(handles).every((h) => h.healthy()),
    );
    lifecycle.onStop('ops-http', () => new Promise<void>((r) => server.close(() => r())));
    ctx.logger.info({ port: config.METRICS_PORT }, '/metrics and /health listening');
  }
  return { ctx, handles, lifecycle, stop: () => lifecycle.stop('stop()') };
}

/** One row per processor: what it reads and writes and when it commits (`--topology`). */
export function topologyTable(): Record<string, string>[] {
  return Object.values(PROCESSORS).map((p) => ({
    processor: p.name,
    inputs: p.topology.inputs.join(', '),
    outputs: p.topology.outputs.join(', '),
    reads: (p.topology.reads ?? []).join(', '),
    tables: p.topology.tables.join(', '),
    commit: p.topology.commit,
    punctuators: p.topology.punctuators.map((x) => `${x.name} (every ${x.every}, ${x.kind})`).join('; '),
  }));
}

async function main(): Promise<void> {
  const { positionals, values } = parseCommandLine(
    { allowPositionals: true, options: { topology: { type: 'boolean', default: false } } },
    'usage: npm run processors -- [--topology] [processor ...]',
  );
  if (values.topology) return console.table(topologyTable());
  const names = positionals.length
    ? positionals
    : (process.env.ULASAN_PROCESSORS ?? Object.keys(PROCESSORS).join(',')).split(',').map((s) => s.trim());
  const running = await runProcessors(names);
  running.lifecycle.installSignalHandlers();
}

if (process.argv[1] && /runner\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    // A wrong command line is not a failed start-up: one line, no fatal log record.
    exitOnUsageError('runner', err);
    const log = createLogger('runner');
    log.fatal(
      { code: isUlasanError(err) ? err.code : undefined, err },
      isUlasanError(err) ? err.message : 'start-up failed',
    );
    console.error(isUlasanError(err) ? `${err.code}: ${err.message}` : String(err));
    process.exit(1);
  });
}
