// The training launcher on the real stack: request -> run -> gates -> registry -> scorer switches;
// a failing gate leaves the version in Staging with the reason; SIGKILL mid-run -> failed + one re-run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors, type Running } from '../../app/runner.js';
import { ModelRegistry } from '../../platform/registry/registry.js';
import type { ModelHolder } from '../../models/serving/model-holder.js';
import type { TrainingRun } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { ROOT, freshDir, sendRetrainRequest, stackAddresses, trainingRuns, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const artifactDir = freshDir('launcher-artifacts');
let running: Running;
let modelDir: string;
const webhooks: { text: string }[] = [];
const hookServer = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    webhooks.push(JSON.parse(body) as { text: string });
    res.end('ok');
  });
});

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  KAFKA_BROKERS: brokers.join(','),
  SCHEMA_REGISTRY_URL: registryUrl,
  ULASAN_TOPIC_PREFIX: prefix,
  ULASAN_ARTIFACT_DIR: artifactDir,
  LAUNCHER_GROUP: `${prefix}launcher`,
  LAUNCHER_WORK_DIR: freshDir('launcher-runs'),
  // Fewer epochs keep the suite quick; a deliberately tiny training set must still register as
  // Staging (so the promotion gate is what fails), hence the low registration gate.
  LAUNCHER_JOB_ARGS: '--epochs 4',
  LAUNCHER_GATE_REGISTER: '0.3',
  LOG_LEVEL: 'warn',
  ...extra,
});

const runs = (): Promise<TrainingRun[]> => trainingRuns(running.ctx);

const request = (id: string, details: Record<string, string> = {}): Promise<void> =>
  sendRetrainRequest(running.ctx, id, details);

const finished = (id: string) => async (): Promise<TrainingRun | undefined> =>
  (await runs()).find((r) => r.request_id === id && r.status !== 'started');

beforeAll(async () => {
  modelDir = await ensureDefaultModel();
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
  running = await runProcessors(
    ['scoring', 'registry-mirror', 'training-launcher'],
    env({
      CHDB_PATH: freshDir('launcher'),
      SCORING_GROUP: `${prefix}scoring`,
      REGISTRY_MIRROR_GROUP: `${prefix}mirror`,
      SCORING_MODEL_DIR: modelDir,
      SCORING_INSTANCE_ID: `launcher-test-${process.pid}`,
      LAUNCHER_WEBHOOK_URL: hookUrl,
    }),
    { opsServer: false },
  );
}, 180_000);

afterAll(async () => {
  hookServer.close();
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

describe('training launcher', () => {
  it(
    'turns a RetrainRequest into a run, a Staging version, a promotion, and a scorer switch',
    { timeout: 240_000 },
    async () => {
      const models = running.handles.scoring!.models as ModelHolder;
      await request(`${prefix}req-1`);
      const run = await waitFor(finished(`${prefix}req-1`), 180_000, 'run 1 to finish');
      expect(run.status, run.reason ?? '').toBe('succeeded');
      expect(run.model_version).toBe(1);
      expect(run.reason).toMatch(/^promoted/);
      expect(run.metrics!.accuracy).toBeGreaterThan(0.8);
      expect(Number(run.dataset_rows)).toBeGreaterThan(10_000);
      expect(run.git_sha).toMatch(/^[0-9a-f]{40}$/);
      await waitFor(async () => models.snapshot().production.version === '1', 60_000, 'scorer on version 1');
      expect(run.metrics!.epoch_01_dev_macro_f1).toBeGreaterThan(0);
      expect(run.metrics!.cm_positive_positive).toBeGreaterThan(0);
      // Slack-compatible webhook on promotion.
      await waitFor(
        async () => webhooks.some((w) => /v1 promoted to Production/.test(w.text)),
        10_000,
        'promotion webhook',
      );
      const reg = await ModelRegistry.open({
        kafka: running.ctx.kafka,
        serde: running.ctx.serde,
        topics: running.ctx.topics,
        artifactDir,
      });
      expect(reg.state.production('ulasan-compact')?.version).toBe(1);
      // Run tracking: the run is mirrored to ClickHouse with its report in the artifact store.
      await waitFor(
        async () =>
          (
            await running.ctx.store.query(
              `SELECT run_id FROM ${running.ctx.store.database}.training_runs FINAL WHERE run_id = {id:String} AND status = 'succeeded'`,
              { id: run.run_id },
            )
          ).length === 1,
        30_000,
        'mirrored run',
      );
    },
  );

  it(
    'keeps a version that fails the promotion gate in Staging, with the reason, and Production unchanged',
    { timeout: 240_000 },
    async () => {
      await request(`${prefix}req-tiny`, { train_limit: '120' });
      const run = await waitFor(finished(`${prefix}req-tiny`), 180_000, 'tiny run to finish');
      expect(run.status).toBe('succeeded');
      expect(run.reason).toMatch(/^stays Staging/);
      // The promotion gate scored both on the same rows and names the failed test with its numbers.
      expect(run.reason).toMatch(
        /macro-F1 non-inferiority vs Production v1: Δ -0\.\d{4}, 95 % lower bound -0\.\d{4} < -0\.005/,
      );
      expect(run.metrics!.gate_macro_f1_pass).toBe(0);
      expect(run.metrics!.gate_production_accuracy).toBeCloseTo(run.metrics!.production_accuracy_same_valid!, 10);
      const reg = await ModelRegistry.open({
        kafka: running.ctx.kafka,
        serde: running.ctx.serde,
        topics: running.ctx.topics,
        artifactDir,
      });
      const v = reg.state.version('ulasan-compact', run.model_version!);
      expect(v?.stage).toBe('Staging');
      expect(v?.reason).toMatch(/stays Staging/);
      expect(reg.state.production('ulasan-compact')?.version).toBe(1);
    },
  );

  it(
    'marks a run killed with the launcher as failed and re-runs it once, with no duplicate version and no lost request',
    { timeout: 300_000 },
    async () => {
      const spawnLauncher = (): ChildProcess =>
        spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'app/runner.ts'), 'training-launcher'], {
          cwd: ROOT,
          env: env({
            CHDB_PATH: freshDir('launcher-child'),
            LAUNCHER_GROUP: `${prefix}launcher-child`,
            LAUNCHER_JOB_ARGS: '--epochs 6',
            METRICS_PORT: '0',
            LAUNCHER_MODEL_NAME: 'crash-model',
          }),
          stdio: 'ignore',
        });
      let child = spawnLauncher();
      const id = `${prefix}req-crash`;
      const { ctx } = running;
      await sendRetrainRequest(ctx, id, {}, 'crash-model');
      const started = await waitFor(
        async () => (await runs()).find((r) => r.request_id === id && r.status === 'started'),
        120_000,
        'crash run to start',
      );
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      child = spawnLauncher();
      try {
        const outcomes = await waitFor(
          async () => {
            const rs = (await runs()).filter((r) => r.request_id === id && r.status !== 'started');
            return rs.length >= 2 ? rs : undefined;
          },
          240_000,
          'failed run and its re-run',
        );
        const first = outcomes.find((r) => r.run_id === started.run_id)!;
        expect(first.status).toBe('failed');
        expect(first.reason).toMatch(/launcher crashed/);
        const rerun = outcomes.find((r) => r.run_id !== started.run_id)!;
        expect(rerun.status).toBe('succeeded');
        expect(rerun.params!.attempt).toBe('2');
        const reg = await ModelRegistry.open({ kafka: ctx.kafka, serde: ctx.serde, topics: ctx.topics, artifactDir });
        const versions = reg.state.versions('crash-model');
        expect(versions).toHaveLength(1);
        expect(versions[0]!.run_id).toBe(rerun.run_id);
      } finally {
        child.kill('SIGKILL');
      }
    },
  );
});
