// Test helpers: UUID-named topics and fresh chdb directories, so tests never share state.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let eventSeq = 0;

/**
 * A registry event for the package stored in `dir` under `hash`. Timestamps are distinct and rising,
 * since the newest event of a version is the one that counts.
 */
export function modelVersionEvent(
  version: number,
  stage: ModelVersionEvent['stage'],
  dir: string,
  hash: string,
): ModelVersionEvent {
  return {
    name: 'ulasan-compact',
    version,
    stage,
    metrics: {},
    artifact_uri: pathToFileURL(dir).href,
    content_hash: hash,
    run_id: null,
    reason: 'test',
    actor: 'test',
    timestamp: Date.now() + eventSeq++,
  };
}

export const uniquePrefix = (): string => `t-${randomUUID().slice(0, 8)}.`;
export const freshDir = (label: string): string => mkdtempSync(path.join(tmpdir(), `ulasan-${label}-`));

/** Polls until fn returns a truthy value (tests wait for conditions, never for fixed sleeps). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

import { fileURLToPath, pathToFileURL } from 'node:url';
import type { KafkaClient } from '../platform/kafka/kafka.js';
import type { Running } from '../app/runner.js';
import type { Context } from '../processors/kit/context.js';
import { readToEnd } from '../platform/kafka/read-to-end.js';
import type { ModelVersionEvent, RetrainRequest, TrainingRun } from '../schemas/types.generated.js';
import { clickhouseCredentials, layoutFor, stackKafkaSasl, type ClickHouseCredentials } from '../stack/services.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Addresses of the stack the global setup started (same env -> same ports). */
export function stackAddresses(): {
  brokers: string[];
  registryUrl: string;
  clickhouseUrl: string;
  clickhouse: ClickHouseCredentials;
  /** The admin identity when the stack's Kafka runs with SCRAM (the default), else undefined. */
  sasl: { username: string; password: string } | undefined;
} {
  const l = layoutFor(ROOT);
  return {
    brokers: [`127.0.0.1:${l.ports.kafka}`],
    registryUrl: `http://127.0.0.1:${l.ports.registry}/apis/ccompat/v7`,
    clickhouseUrl: process.env.CLICKHOUSE_URL ?? `http://127.0.0.1:${l.ports.clickhouseHttp}`,
    clickhouse: clickhouseCredentials(l),
    sasl: stackKafkaSasl(l),
  };
}

/** The environment without the stack's Kafka identity: for processes talking to a private PLAINTEXT broker. */
export function withoutStackIdentity(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.KAFKA_SASL_USERNAME;
  delete copy.KAFKA_SASL_PASSWORD;
  delete copy.KAFKA_CREDENTIALS_FILE;
  return copy;
}

/**
 * The layout of a private Kafka (same jars as the main stack, its own directory and ports), for
 * tests that stop or restart a broker without touching any other test.
 */
export function privateKafkaLayout(
  label: string,
  kafkaPort: number,
  auth: 'plaintext' | 'scram' = 'plaintext',
): ReturnType<typeof layoutFor> {
  // A port inside Linux's ephemeral range (32768-60999 by default) can be taken by any outgoing
  // connection while the broker is down, and the broker then fails to bind on its restart.
  if (kafkaPort >= 32768) throw new Error(`private Kafka port ${kafkaPort} is in the ephemeral range`);
  const saved = { ...process.env };
  process.env.ULASAN_STACK_LIB_DIR = layoutFor(ROOT).lib;
  process.env.ULASAN_STACK_DIR = freshDir(label);
  process.env.ULASAN_STACK_KAFKA_PORT = String(kafkaPort);
  process.env.ULASAN_STACK_CONTROLLER_PORT = String(kafkaPort + 1);
  process.env.ULASAN_STACK_KAFKA_AUTH = auth;
  try {
    return layoutFor(ROOT);
  } finally {
    for (const k of [
      'ULASAN_STACK_LIB_DIR',
      'ULASAN_STACK_DIR',
      'ULASAN_STACK_KAFKA_PORT',
      'ULASAN_STACK_CONTROLLER_PORT',
      'ULASAN_STACK_KAFKA_AUTH',
    ]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

/** Avro's zig-zag varint (shared with the soak's hostile records). */
export { varint } from '../scripts/soak/faults.js';

/** Sends one record; rejects with Kafka's error (an ACL refusal, an authentication failure). */
export async function sendOne(k: KafkaClient, topic: string): Promise<void> {
  const p = k.producer();
  await p.connect();
  try {
    await p.send({ topic, messages: [{ key: 'k', value: 'v' }], acks: -1 });
  } finally {
    await p.disconnect();
  }
}

/** afterAll of a test that ran processors on its own topics: stop them, then delete the topics. */
export async function stopAndDeleteTopics(running: Running | undefined, admin?: KafkaClient): Promise<void> {
  await running?.stop();
  if (running)
    await (admin ?? running.ctx.kafka).deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
}

/** Puts a manual RetrainRequest (as the launcher's tests send it) on the retrain topic. */
export async function sendRetrainRequest(
  ctx: Context,
  id: string,
  details: Record<string, string> = {},
  modelName = 'ulasan-compact',
): Promise<void> {
  const req: RetrainRequest = {
    request_id: id,
    model_name: modelName,
    reasons: ['manual'],
    details,
    requested_by: 'test',
    force: true,
    requested_at: Date.now(),
  };
  const producer = ctx.kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic: ctx.topics.retrain,
      messages: [{ key: id, value: await ctx.serde.encode(ctx.topics.retrain, req) }],
    });
  } finally {
    await producer.disconnect();
  }
}

/** Every TrainingRun event on the topic so far. */
export async function trainingRuns(ctx: Context): Promise<TrainingRun[]> {
  const out: TrainingRun[] = [];
  await readToEnd(ctx.kafka, ctx.topics.trainingRuns, async (v) => {
    out.push((await ctx.serde.decode<TrainingRun>(v)).value);
  });
  return out;
}

/** Runs one of the repository's TypeScript commands (`scripts/x.ts`, relative to ROOT) as a user would. */
export function runCommand(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env,
  });
}
