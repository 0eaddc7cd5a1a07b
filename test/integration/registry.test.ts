// The model registry on the real stack: versions, stages, promotion archiving, rollback that the
// scorer follows, history in ClickHouse ("which version was Production at T"), no duplicates.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors, type Running } from '../../app/runner.js';
import { productionAt, stageHistory } from '../../platform/registry/history.js';
import { ModelRegistry } from '../../platform/registry/registry.js';
import type { ModelHolder } from '../../models/serving/model-holder.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const NAME = 'ulasan-compact';
let running: Running;
let registry: ModelRegistry;
let base: string;

/** A copy of the default package with a marker in ulasan.json, so its content hash differs. */
function variant(tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `ulasan-${tag}-`));
  cpSync(base, dir, { recursive: true });
  const meta = JSON.parse(readFileSync(path.join(dir, 'ulasan.json'), 'utf8'));
  writeFileSync(path.join(dir, 'ulasan.json'), JSON.stringify({ ...meta, training_run_id: tag }));
  return dir;
}

beforeAll(async () => {
  base = await ensureDefaultModel();
  running = await runProcessors(
    ['scoring', 'registry-mirror'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('registry'),
      ULASAN_TOPIC_PREFIX: prefix,
      ULASAN_ARTIFACT_DIR: freshDir('artifacts'),
      SCORING_GROUP: `${prefix}scoring`,
      REGISTRY_MIRROR_GROUP: `${prefix}mirror`,
      SCORING_MODEL_DIR: base,
      SCORING_INSTANCE_ID: `registry-test-${process.pid}`,
      LOG_LEVEL: 'warn',
    },
    { opsServer: false },
  );
  const { ctx } = running;
  registry = await ModelRegistry.open({
    kafka: ctx.kafka,
    serde: ctx.serde,
    topics: ctx.topics,
    artifactDir: ctx.config.ULASAN_ARTIFACT_DIR,
  });
}, 180_000);

afterAll(async () => {
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

describe('model registry', () => {
  it('registers, promotes with archiving, rolls back, and answers which version was Production at T', async () => {
    const models = running.handles.scoring!.models as ModelHolder;
    const v1 = await registry.register({
      name: NAME,
      packageDir: variant('run-a'),
      runId: 'run-a',
      reason: 'first',
      actor: 'test',
    });
    const v2 = await registry.register({
      name: NAME,
      packageDir: variant('run-b'),
      runId: 'run-b',
      reason: 'second',
      actor: 'test',
    });
    expect([v1.event.version, v2.event.version]).toEqual([1, 2]);
    expect(v1.event.stage).toBe('Staging');
    expect(v1.event.metrics!.accuracy).toBeGreaterThan(0.8);
    expect(v1.event.artifact_uri).toMatch(new RegExp(`^file://.*/${v1.event.content_hash}$`));

    // Registering the same content again returns the existing version.
    const again = await registry.register({
      name: NAME,
      packageDir: variant('run-a'),
      runId: 'run-a',
      reason: 'retry',
      actor: 'test',
    });
    expect(again.created).toBe(false);
    expect(again.event.version).toBe(1);

    const tBefore = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await registry.promote(NAME, 1, 'gates passed', 'test');
    await waitFor(async () => models.snapshot().production.version === '1', 30_000, 'scorer on v1');
    const tBetween = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const promoted = await registry.promote(NAME, 2, 'better', 'test');
    expect(promoted.map((e) => `${e.version}:${e.stage}`)).toEqual(['1:Archived', '2:Production']);
    await waitFor(async () => models.snapshot().production.version === '2', 30_000, 'scorer on v2');
    const tAfter = Date.now();
    await new Promise((r) => setTimeout(r, 20));

    const rolled = await registry.rollback(NAME, 'v2 misbehaves', 'test');
    expect(rolled.map((e) => `${e.version}:${e.stage}`)).toEqual(['2:Archived', '1:Production']);
    await waitFor(async () => models.snapshot().production.version === '1', 30_000, 'scorer back on v1');
    const tRolledBack = Date.now() + 1;

    // The mirror has the full history; the history query answers for any time.
    const { store } = running.ctx;
    await waitFor(async () => (await stageHistory(store, NAME)).length >= 7, 30_000, 'mirrored history');
    expect(await productionAt(store, NAME, tBefore)).toBeNull();
    expect(await productionAt(store, NAME, tBetween)).toBe(1);
    expect(await productionAt(store, NAME, tAfter)).toBe(2);
    expect(await productionAt(store, NAME, tRolledBack)).toBe(1);

    // A fresh reader of the topic sees the same state (the topic is the source of truth).
    const reread = await ModelRegistry.open({
      kafka: running.ctx.kafka,
      serde: running.ctx.serde,
      topics: running.ctx.topics,
      artifactDir: running.ctx.config.ULASAN_ARTIFACT_DIR,
    });
    expect(reread.state.production(NAME)?.version).toBe(1);
    expect(reread.state.versions(NAME).map((v) => `${v.version}:${v.stage}`)).toEqual(['1:Production', '2:Archived']);

    const cmp = registry.compare(NAME, 1, 2);
    expect(cmp.metrics.accuracy).toEqual([v1.event.metrics!.accuracy, v2.event.metrics!.accuracy]);
    expect(Array.isArray(cmp.confusion[0])).toBe(true);
  });

  it('refuses a rollback when there is nothing to roll back to', async () => {
    await expect(registry.rollback('no-such-model', 'x', 'test')).rejects.toMatchObject({ code: 'DATA_NOT_FOUND' });
  });
});
