// Name masking at serve time only (`name_masking.at: "serve"`): the model is trained on the texts as
// written and the package masks names in what it scores. Claimed (docs/model-card.md): a text without
// a listed name scores exactly as the unmasked package scores it, and a named text as its `ini` form,
// so the invariance against `aplikasi ini` is 0 by construction. Checked on three small packages built
// from the same rows: no masking, masking at serve time, masking at train and serve time.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine, type Prediction } from '../../../models/core/engine.js';
import { modelInputText } from '../../../models/features/features.js';
import { filesInput, runPipeline } from '../../../models/trainer/pipeline.js';
import { parseManifest, type Manifest, type NameMaskingAt } from '../../../models/trainer/manifest.js';
import { VOCAB, writeToyTrainSet } from './fixtures.js';

const OPTIONS = { dim: 8, epochs: 8, bigramBuckets: 1009, trigramBuckets: 1013, patience: 8 };

/** Rows that name apps, each name with a lean (indihome mostly negative, shopee positive), as real data has. */
function namedRows(): string[] {
  const rows: string[] = [];
  for (let i = 0; i < 20; i++) {
    rows.push(`indihome ${['mati lagi', 'putus terus', 'gangguan'][i % 3]} ${i}\tnegative`);
    rows.push(`aplikasi shopee ${['oke', 'murah', 'cepat'][i % 3]} ${i}\tpositive`);
    rows.push(`pakai gopay ${['biasa', 'standar'][i % 2]} ${i}\tneutral`);
  }
  return rows;
}

const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-serve-mask-'));
const trainFile = writeToyTrainSet(dir);
writeFileSync(trainFile, readFileSync(trainFile, 'utf8') + namedRows().join('\n') + '\n');
const validFile = path.join(dir, 'valid.tsv');
writeFileSync(
  validFile,
  ['bagus sekali\tpositive', 'sering error\tnegative', 'biasa saja\tneutral', 'indihome lambat\tnegative']
    .map((r) => r + '\n')
    .join(''),
);

async function build(at: NameMaskingAt | null): Promise<string> {
  const input = filesInput([trainFile], [validFile]);
  const manifest: Manifest = {
    ...input.manifest,
    ...(at ? { name_masking: { names: 'shipped', at, augment: 0 } } : {}),
  };
  const outDir = path.join(dir, at ?? 'none');
  await runPipeline({ ...input, manifest, vocabFile: VOCAB, outDir, name: 't', version: '1', options: OPTIONS });
  return outDir;
}

const NAME_FREE = [
  'bagus sekali',
  'sering error dan lambat banget',
  'biasa saja',
  'mati lagi putus terus',
  'oke murah cepat',
  'aplikasi ini bagus',
  'Sudah 3 hari refund belum masuk juga!!',
];
const NAMED: [string, string][] = [
  ['aplikasi Shopee bagus', 'aplikasi ini bagus'],
  ['IndiHome mati lagi', 'ini mati lagi'],
  ['sering error di livin by mandiri', 'sering error di ini'],
  ['pakai gopay biasa', 'pakai ini biasa'],
  ['shopeenya lemot', 'ini nya lemot'],
];

const probs = (p: Prediction[]) => p.map((x) => x.probabilities);

describe('name masking at serve time only', () => {
  const engines: Record<string, InferenceEngine> = {};
  const dirs: Record<string, string> = {};
  beforeAll(async () => {
    for (const at of [null, 'serve', 'train-and-serve'] as const) {
      dirs[at ?? 'none'] = await build(at);
      engines[at ?? 'none'] = await InferenceEngine.load(dirs[at ?? 'none']!);
    }
  }, 120_000);
  afterAll(async () => Promise.all(Object.values(engines).map((e) => e.close())));

  it('trains the same model as no masking, and records the choice in the package', () => {
    const onnx = (k: string) => readFileSync(path.join(dirs[k]!, 'model.onnx'));
    expect(onnx('serve').equals(onnx('none'))).toBe(true);
    // Masking the training texts changes the weights (the named rows read `ini`): the check can fail.
    expect(onnx('train-and-serve').equals(onnx('none'))).toBe(false);
    const meta = JSON.parse(readFileSync(path.join(dirs.serve!, 'ulasan.json'), 'utf8'));
    expect(meta.name_masking).toMatchObject({ file: 'names.json', placeholder: 'ini' });
    expect(meta.model_card.manifest.name_masking.at).toBe('serve');
    expect(engines.serve!.names).not.toBeNull();
    expect(engines.none!.names).toBeNull();
  });

  it('scores a text without a name exactly as the unmasked package does', async () => {
    for (const t of NAME_FREE) expect(engines.serve!.modelText(t)).toBe(modelInputText(t));
    expect(probs(await engines.serve!.predict(NAME_FREE))).toEqual(probs(await engines.none!.predict(NAME_FREE)));
    // Not so when the training texts were masked too.
    expect(probs(await engines['train-and-serve']!.predict(NAME_FREE))).not.toEqual(
      probs(await engines.none!.predict(NAME_FREE)),
    );
  });

  it('scores a named text as its `ini` form, which the unmasked package scores the same', async () => {
    const named = NAMED.map(([n]) => n);
    const ini = NAMED.map(([, i]) => i);
    const served = probs(await engines.serve!.predict(named));
    expect(served).toEqual(probs(await engines.serve!.predict(ini)));
    expect(served).toEqual(probs(await engines.none!.predict(ini)));
    // The unmasked package reads the names (indihome leans negative in its training rows).
    expect(probs(await engines.none!.predict(named))).not.toEqual(served);
  });

  it('writes zero name shift into the metrics the gate reads', () => {
    const meta = JSON.parse(readFileSync(path.join(dirs.serve!, 'ulasan.json'), 'utf8'));
    expect(meta.metrics.invariance_worst_share_shift).toBe(0);
    expect(meta.metrics.invariance_worst_accuracy_drop).toBe(0);
    const none = JSON.parse(readFileSync(path.join(dirs.none!, 'ulasan.json'), 'utf8'));
    expect(none.metrics.invariance_worst_share_shift).toBeGreaterThan(0);
  });
});

describe('the manifest option', () => {
  const base = { manifest_version: 1, name: 'm', sources: [{ name: 's', path: 's.tsv' }] };
  it('refuses counterfactual copies with serve-time masking (their names would be masked away)', () => {
    expect(() => parseManifest({ ...base, name_masking: { at: 'serve', augment: 0.3 } }, 'test')).toThrow(
      /augment needs at "train-and-serve"/,
    );
    const m = parseManifest({ ...base, name_masking: { at: 'train-and-serve', augment: 0.3 } }, 'test');
    expect(m.name_masking).toEqual({ names: 'shipped', at: 'train-and-serve', augment: 0.3 });
    expect(() => parseManifest({ ...base, name_masking: { at: 'scoring' } }, 'test')).toThrow(/name_masking/);
  });
});
