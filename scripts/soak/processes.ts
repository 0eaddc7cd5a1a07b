// The soak's processors: every processor that consumes a topic, in one child process of the runner
// (embedded chdb wants one process), each as its own Kafka identity from the stack's credentials
// file, with the test-only slow-ClickHouse preload. Started with node --import tsx (not the tsx
// binary) so a SIGKILL reaches the processors themselves.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../platform/config.js';

export const SOAK_PROCESSORS = [
  'review-store',
  'scoring',
  'drift',
  'feedback-store',
  'dead-letter-store',
  'registry-mirror',
  'retrain-trigger',
  'training-launcher',
] as const;

/** Consumer group per processor, under each identity's PREFIXED group ACL (ulasan-<name>). */
export const GROUP_VARIABLES: Record<string, string> = {
  'review-store': 'REVIEW_STORE_GROUP',
  scoring: 'SCORING_GROUP',
  drift: 'DRIFT_GROUP',
  'feedback-store': 'FEEDBACK_STORE_GROUP',
  'dead-letter-store': 'DEAD_LETTER_STORE_GROUP',
  'registry-mirror': 'REGISTRY_MIRROR_GROUP',
  'training-launcher': 'LAUNCHER_GROUP',
};

export const groupOf = (processor: string, runId: string): string => `ulasan-${processor}.${runId}`;

export interface ProcessorsOptions {
  runId: string;
  prefix: string;
  brokers: string;
  registryUrl: string;
  credentialsFile: string;
  chdbPath: string;
  workDir: string;
  modelDir: string;
  metricsPort: number;
  slowFlag: string;
  logFile: string;
}

export function startProcessors(o: ProcessorsOptions): ChildProcess {
  const groups = Object.fromEntries(Object.entries(GROUP_VARIABLES).map(([p, v]) => [v, groupOf(p, o.runId)]));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KAFKA_BROKERS: o.brokers,
    KAFKA_CREDENTIALS_FILE: o.credentialsFile,
    SCHEMA_REGISTRY_URL: o.registryUrl,
    CHDB_PATH: o.chdbPath,
    ULASAN_TOPIC_PREFIX: o.prefix,
    ULASAN_ARTIFACT_DIR: path.join(o.workDir, 'artifacts'),
    LAUNCHER_WORK_DIR: path.join(o.workDir, 'runs'),
    SCORING_MODEL_DIR: o.modelDir,
    DRIFT_MODEL_DIR: o.modelDir,
    SCORING_INSTANCE_ID: `soak-${o.runId}`,
    SCORING_SESSION_TIMEOUT_MS: '10000',
    // The trigger evaluates hourly: a retrain in the middle of the soak would be a load of its own.
    TRIGGER_INTERVAL_MS: '3600000',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(o.metricsPort),
    SOAK_SLOW_CLICKHOUSE_FILE: o.slowFlag,
    LOG_LEVEL: 'warn',
    // As in the Dockerfile (docs/operations.md, "Memory"): two glibc arenas, not one per thread of
    // chdb, onnxruntime and libuv, each holding its own high-water mark.
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    ...groups,
  };
  const preload = path.join(PROJECT_ROOT, 'scripts/soak/slow-clickhouse.ts');
  const runner = path.join(PROJECT_ROOT, 'app/runner.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, runner, ...SOAK_PROCESSORS], {
    env,
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(o.logFile, { flags: 'a' });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  return child;
}

/** Waits for the processors' /health to answer 200 (every processor healthy). */
export async function waitHealthy(metricsPort: number, child: ChildProcess, timeoutMs = 300_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`processors exited during start-up (code ${child.exitCode}, signal ${child.signalCode})`);
    try {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return Date.now() - t0;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`processors not healthy after ${timeoutMs / 1000} s`);
}
