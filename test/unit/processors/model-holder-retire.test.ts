// A batch runs on the engines of its own snapshot (ModelHolder.snapshot): a shadow that is dropped
// while the batch predicts must still answer it. The holder closes a dropped or swapped-out engine
// only after a grace period, as it always did for swaps (a dropped shadow used to close at once).
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageHash } from '../../../models/core/package.js';
import type { InferenceEngine } from '../../../models/core/engine.js';
import { ModelHolder } from '../../../models/serving/model-holder.js';
import { createLogger } from '../../../platform/logger.js';
import type { ModelVersionEvent } from '../../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../../scripts/model-build.js';
import { modelVersionEvent } from '../../helpers.js';

let holder: ModelHolder;
let dir: string;
let hash: string;
const event = (version: number, stage: ModelVersionEvent['stage']): ModelVersionEvent =>
  modelVersionEvent(version, stage, dir, hash);
const texts = ['aplikasinya bagus sekali', 'sering error dan lambat'];

beforeAll(async () => {
  const pkg = await ensureDefaultModel();
  const store = mkdtempSync(path.join(tmpdir(), 'ulasan-retire-'));
  hash = packageHash(pkg);
  dir = path.join(store, hash);
  cpSync(pkg, dir, { recursive: true });
  holder = await ModelHolder.start(
    pkg,
    'ulasan-compact',
    { engine: { maxBatch: 16 }, artifactRoot: store, metrics: new Registry() },
    createLogger('test', 'silent'),
  );
}, 120_000);

afterAll(async () => holder?.close());

describe('engines leaving the holder', () => {
  it('keeps a dropped shadow answering the batch that took it in its snapshot', async () => {
    holder.observe(event(2, 'Staging'));
    await holder.settled();
    const batch = holder.snapshot();
    expect(batch.shadow?.version).toBe('2');
    holder.observe(event(2, 'Archived'));
    await holder.settled();
    expect(holder.snapshot().shadow).toBeNull();
    // The same package as Production, so the dropped engine must still give Production's answer.
    const answer = async (e: InferenceEngine) => (await e.predict(texts)).map((p) => [p.label, p.probabilities]);
    expect(await answer(batch.shadow!)).toEqual(await answer(holder.snapshot().production));
  });

  it('keeps a swapped-out Production answering the batch that took it', async () => {
    const batch = holder.snapshot();
    holder.observe(event(3, 'Production'));
    await holder.settled();
    expect(holder.snapshot().production).not.toBe(batch.production);
    const [before, after] = [await batch.production.predict(texts), await holder.snapshot().production.predict(texts)];
    expect(before.map((p) => p.label)).toEqual(after.map((p) => p.label));
  });
});
