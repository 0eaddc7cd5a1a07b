// Registry packages load only from inside the artifact store and only when they hash to the
// registry entry's content_hash; a refusal keeps the current model and counts in a metric.
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageHash } from '../../../models/core/package.js';
import { ModelHolder } from '../../../models/serving/model-holder.js';
import { createLogger } from '../../../platform/logger.js';
import type { ModelVersionEvent } from '../../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../../scripts/model-build.js';
import { modelVersionEvent } from '../../helpers.js';

let pkg: string;
let store: string;
let holder: ModelHolder;
const metrics = new Registry();
const event = (version: number, dir: string, hash: string): ModelVersionEvent =>
  modelVersionEvent(version, 'Production', dir, hash);

/** A copy of the default package inside the store, under its content hash. */
function stored(): { dir: string; hash: string } {
  const hash = packageHash(pkg);
  const dir = path.join(store, hash);
  cpSync(pkg, dir, { recursive: true });
  return { dir, hash };
}

async function refusals(reason: string): Promise<number> {
  const m = (await metrics.getSingleMetric('ulasan_model_artifact_refused_total')?.get())?.values ?? [];
  return m.find((v) => v.labels.reason === reason)?.value ?? 0;
}

beforeAll(async () => {
  pkg = await ensureDefaultModel();
  store = mkdtempSync(path.join(tmpdir(), 'ulasan-store-'));
  holder = await ModelHolder.start(
    pkg,
    'ulasan-compact',
    { engine: { maxBatch: 16 }, artifactRoot: store, metrics },
    createLogger('test', 'silent'),
  );
}, 120_000);

afterAll(async () => holder?.close());

describe('verified model artifacts', () => {
  it('names the start-up package by its hash, and loads registry version 1 over it', async () => {
    const fresh = await ModelHolder.start(
      pkg,
      'ulasan-compact',
      { engine: { maxBatch: 16 }, artifactRoot: store, metrics: new Registry() },
      createLogger('test', 'silent'),
    );
    try {
      const startup = fresh.snapshot().production;
      expect(startup.version).toBe(`pkg-${packageHash(pkg).slice(0, 12)}`);
      const { dir, hash } = stored();
      fresh.observe(event(1, dir, hash));
      await fresh.settled();
      expect(fresh.snapshot().production).not.toBe(startup);
      expect(fresh.snapshot().production.version).toBe('1');
    } finally {
      await fresh.close();
    }
  });

  it('loads a package from the store whose hash matches', async () => {
    const { dir, hash } = stored();
    holder.observe(event(5, dir, hash));
    await holder.settled();
    expect(holder.snapshot().production.version).toBe('5');
  });

  it('refuses a package with one byte changed, and Production stays', async () => {
    const { dir, hash } = stored();
    const tampered = `${dir}-tampered`;
    cpSync(dir, tampered, { recursive: true });
    const onnx = readFileSync(path.join(tampered, 'model.onnx'));
    onnx[onnx.length - 1]! ^= 0x01;
    writeFileSync(path.join(tampered, 'model.onnx'), onnx);
    holder.observe(event(6, tampered, hash));
    await holder.settled();
    expect(holder.snapshot().production.version).toBe('5');
    expect(await refusals('hash-mismatch')).toBe(1);
  });

  it('refuses a matching package outside the store, directly or through a symlink in it', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'ulasan-elsewhere-'));
    cpSync(pkg, outside, { recursive: true });
    holder.observe(event(7, outside, packageHash(outside)));
    const link = path.join(store, 'linked');
    symlinkSync(outside, link);
    holder.observe(event(8, link, packageHash(outside)));
    holder.observe(event(9, path.join(store, 'nothing-here'), 'x'));
    await holder.settled();
    expect(holder.snapshot().production.version).toBe('5');
    expect(await refusals('outside-store')).toBe(2);
    expect(await refusals('missing')).toBe(1);
  });
});
