// model:cv --against: two recipes' out-of-fold verdicts paired row by row on the same folds. The pure
// comparison on hand-made runs (known counts), its refusal of runs that did not score the same rows,
// and the command end to end on a small data set (its counts must add up to its accuracy difference).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareCv, type CvRun } from '../../../models/trainer/cv-compare.js';
import { mcnemarExactP } from '../../../models/trainer/metrics.js';
import { assemble, parseManifest } from '../../../models/trainer/manifest.js';
import { runCommand } from '../../helpers.js';

const NEG = [0.8, 0.1, 0.1];
const NEU = [0.1, 0.8, 0.1];
const POS = [0.1, 0.1, 0.8];

describe('compareCv', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-cv-compare-'));
  writeFileSync(
    path.join(dir, 'app.csv'),
    ['text,label,stars', 'bagus,,5', 'bagus,,5', 'shopee jelek,,1', 'biasa,,3', 'mantap,,5'].join('\n') + '\n',
  );
  writeFileSync(path.join(dir, 'tweets.tsv'), 'senang sekali\tpositive\nkesal\tnegative\n');
  const m = parseManifest(
    {
      manifest_version: 1,
      name: 'cmp',
      sources: [
        { name: 'app', path: 'app.csv', label_from: 'stars', stars: { 1: 'negative', 3: 'neutral', 5: 'positive' } },
        { name: 'tweets', path: 'tweets.tsv' },
      ],
    },
    'test',
  );
  const data = assemble(m, dir);
  const labels = data.rows.map((r) => ['negative', 'neutral', 'positive'].indexOf(r.label));
  const fold = data.rows.map((_, i) => i % 2);
  // Recipe a says the truth except "biasa" (positive); b says the truth except "bagus" (neutral) and
  // "kesal" (positive).
  const said = (wrong: Record<string, number[]>): CvRun['result'] => ({
    oof: data.rows.map((r, i) => Float32Array.from(wrong[r.key] ?? [NEG, NEU, POS][labels[i]!]!)),
  });
  const a: CvRun = { data, labels, fold, result: said({ biasa: POS }) };
  const b: CvRun = { data, labels, fold, result: said({ bagus: NEU, kesal: POS }) };
  const options = { manifest: m, dataDir: dir, offsetsA: [0, 0, 0], offsetsB: [0, 0, 0] };

  it('counts per distinct text, then every row of a star-rated file with its duplicates', () => {
    const c = compareCv(a, b, options);
    expect(c.per_source['app']).toMatchObject({ rows: 4, only_a: 1, only_b: 1, accuracy: { a: 0.75, b: 0.75 } });
    expect(c.per_source['tweets']).toMatchObject({ rows: 2, only_a: 1, only_b: 0, accuracy: { a: 1, b: 0.5 } });
    // Every row: "bagus" twice, so b loses two rows there and a one ("biasa").
    const all = c.star_sources_every_row['app']!.all;
    expect(all).toMatchObject({ rows: 5, only_a: 2, only_b: 1, mcnemar_p: mcnemarExactP(2, 1) });
    expect(all.accuracy.a).toBeCloseTo(4 / 5, 10);
    expect(all.accuracy.b).toBeCloseTo(3 / 5, 10);
    expect(c.star_sources_every_row['app']!.naming_an_app).toBeUndefined();
  });

  it('splits every row by whether the review names an app, when told how to tell', () => {
    const c = compareCv(a, b, { ...options, namesAnApp: (t) => t.includes('shopee') });
    const g = c.star_sources_every_row['app']!;
    expect(g.naming_an_app).toMatchObject({ rows: 1, only_a: 0, only_b: 0 });
    expect(g.name_free).toMatchObject({ rows: 4, only_a: 2, only_b: 1 });
  });

  it('applies each recipe its own offsets', () => {
    // +3 on neutral turns every b verdict neutral: b is right on "biasa" only.
    const c = compareCv(a, b, { ...options, offsetsB: [0, 3, 0] });
    expect(c.per_source['app']).toMatchObject({ only_a: 3, only_b: 1 });
  });

  it('refuses runs that did not score the same rows in the same folds', () => {
    const otherFolds: CvRun = { ...b, fold: fold.map((f) => 1 - f) };
    expect(() => compareCv(a, otherFolds, options)).toThrow(/different rows .* or folds/);
    const fewer: CvRun = { ...b, data: { rows: data.rows.slice(1) } };
    expect(() => compareCv(a, fewer, options)).toThrow(/different rows/);
  });
});

describe('npm run model:cv -- --against', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-cv-against-'));
  const words = {
    positive: ['bagus', 'mantap', 'suka', 'keren', 'puas'],
    negative: ['jelek', 'kecewa', 'lambat', 'rusak', 'buruk'],
    neutral: ['biasa', 'lumayan', 'cukup', 'standar', 'sedang'],
  };
  // Each row has a word of its class and one of another; every fifth label is another class's, so the
  // model errs and the two recipes (masking vs an offset toward neutral) err on different rows.
  const classes = Object.keys(words) as (keyof typeof words)[];
  const rows = classes.flatMap((label, li) =>
    Array.from({ length: 40 }, (_, i) => {
      const other = words[classes[(li + 1 + (i % 2)) % 3]!];
      const said = i % 5 === 0 ? classes[(li + 1) % 3] : label;
      return `${words[label][i % 5]} ${other[(i * 3) % 5]} ${i % 3 ? 'shopee' : 'aplikasi'} ${i}\t${said}`;
    }),
  );
  writeFileSync(path.join(dir, 'train.tsv'), rows.join('\n') + '\n');
  const manifest = (extra: object) => ({
    manifest_version: 1,
    name: 'toy',
    sources: [{ name: 'toy-train', path: 'train.tsv' }],
    model: { kind: 'linear' },
    ...extra,
  });
  writeFileSync(path.join(dir, 'a.json'), JSON.stringify(manifest({ name_masking: { names: 'shipped' } })));
  writeFileSync(path.join(dir, 'b.json'), JSON.stringify(manifest({ decision_offsets: [0, 1, 0] })));

  it('prints both recipes per source and writes the paired counts', { timeout: 120_000 }, () => {
    const out = path.join(dir, 'cmp.json');
    const args = ['--manifest', path.join(dir, 'a.json'), '--against', path.join(dir, 'b.json'), '--folds', '2'];
    const res = runCommand('models/trainer/cv.ts', [...args, '--json', out], { ...process.env, ULASAN_DATA_DIR: dir });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/out of fold, the same 2 folds \(seed 42\), a vs b:/);
    expect(res.stdout).toMatch(/toy-train +120 rows {2}macro-F1 /);
    expect(res.stdout).not.toMatch(/held out/);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const p = report.per_source['toy-train'];
    expect(p.rows).toBe(120);
    // The paired counts are the accuracy difference, row for row, and the two recipes do differ here.
    expect(p.only_a + p.only_b).toBeGreaterThan(0);
    expect(p.only_a - p.only_b).toBe(Math.round((p.accuracy.a - p.accuracy.b) * 120));
  });
});
