// The data manifest: sources, label mapping, de-duplication across sets, the conflict rule, the
// leakage check, feedback policy, and clear errors for a bad manifest or data file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, parseManifest, readManifest } from '../../../models/trainer/manifest.js';
import { DEFAULT_MANIFEST } from '../../../scripts/model-build.js';
import { launcherDataset } from '../../../processors/training-launcher/handler.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-manifest-'));
const write = (name: string, text: string): string => {
  writeFileSync(path.join(dir, name), text);
  return name;
};
// "Bagus banget!!" and "bagus bgt !" normalise to the same clean text ("bagus banget ! !" vs ...).
write(
  'gold.tsv',
  ['bagus banget\tpositive', 'jelek sekali\tnegative', 'biasa saja\tneutral', 'rahasia ujian\tpositive'].join('\n') +
    '\n',
);
write(
  'stars.csv',
  [
    'text,label,stars',
    '"Bagus bgt",pos,1',
    '"Jelek sekali",neg,1',
    '"lumayan",neg,3',
    '"lumayan",neg,3',
    '"oke deh",pos,5',
    '"oke deh",pos,1',
  ].join('\n') + '\n',
);
write('valid.tsv', 'rahasia ujian\tpositive\n');
write(
  'votes.tsv',
  ['seri\tpositive', 'seri\tnegative', 'menang\tpositive', 'menang\tpositive', 'menang\tnegative'].join('\n') + '\n',
);

const manifest = (extra: Record<string, unknown> = {}) =>
  parseManifest(
    {
      manifest_version: 1,
      name: 'test',
      sources: [
        { name: 'gold', path: 'gold.tsv', weight: 2 },
        { name: 'stars', path: 'stars.csv', label_from: 'stars' },
      ],
      evaluation: [{ name: 'valid', path: 'valid.tsv' }],
      ...extra,
    },
    'test manifest',
  );

describe('assemble', () => {
  it('maps stars, merges duplicates across sets by normalised text, and lets the earlier source win a conflict', () => {
    const data = assemble(manifest(), dir);
    const byKey = Object.fromEntries(data.rows.map((r) => [r.key, r]));
    // "Bagus bgt" (1 star) is "bagus banget" after normalisation: gold's positive wins, weight 2.
    expect(byKey['bagus banget']).toMatchObject({ label: 'positive', source: 'gold', weight: 2 });
    expect(byKey['jelek sekali']).toMatchObject({ label: 'negative', source: 'gold' });
    // Stars, not the unreliable label column: 3 stars -> neutral; exact duplicates collapse.
    expect(byKey['lumayan']).toMatchObject({ label: 'neutral', source: 'stars', weight: 1 });
    // Same source, one 5-star and one 1-star copy: a tie, so the text is dropped.
    expect(byKey['oke deh']).toBeUndefined();
    const stars = data.sources.find((s) => s.name === 'stars')!;
    expect(stars).toMatchObject({ rows: 6, labelled: 6, kept: 1, duplicates: 4, conflicts_dropped: 1 });
    expect(data.sources.find((s) => s.name === 'gold')).toMatchObject({ kept: 3, leaked: 1, conflicts_resolved: 1 });
    expect(data.rows.map((r) => r.key).sort()).toEqual(['bagus banget', 'biasa saja', 'jelek sekali', 'lumayan']);
    expect(data.sources[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(assemble(manifest(), dir).hash).toBe(data.hash);
  });

  it('resolves a conflict inside one source by majority and drops a tie', () => {
    const data = assemble(
      parseManifest({ manifest_version: 1, name: 'v', sources: [{ name: 'votes', path: 'votes.tsv' }] }, 'm'),
      dir,
    );
    expect(data.rows).toEqual([expect.objectContaining({ key: 'menang', label: 'positive' })]);
  });

  it('never trains on a text of a named evaluation set, and refuses to train at all when told to', () => {
    expect(assemble(manifest(), dir).rows.some((r) => r.key === 'rahasia ujian')).toBe(false);
    const strict = manifest({ leakage: { on_overlap: 'fail', sets: [] } });
    expect(() => assemble(strict, dir)).toThrow(
      expect.objectContaining({ code: 'DATA_LEAKAGE', message: expect.stringContaining('"valid"') }),
    );
    // A reserved set named only under leakage.sets counts too.
    const reserved = parseManifest(
      {
        manifest_version: 1,
        name: 'r',
        sources: [{ name: 'gold', path: 'gold.tsv' }],
        leakage: { sets: [{ name: 'reserved', path: 'valid.tsv' }], on_overlap: 'fail' },
      },
      'm',
    );
    expect(() => assemble(reserved, dir)).toThrow(expect.objectContaining({ code: 'DATA_LEAKAGE' }));
  });

  it('merges feedback by the policy: gold wins by default, feedback wins when configured', () => {
    const fb = [
      { text: 'BAGUS BANGET', label: 'negative' as const },
      { text: 'baru sekali', label: 'neutral' as const },
    ];
    const gold = Object.fromEntries(assemble(manifest(), dir, fb).rows.map((r) => [r.key, r.label]));
    expect(gold).toMatchObject({ 'bagus banget': 'positive', 'baru sekali': 'neutral' });
    const fbWins = Object.fromEntries(
      assemble(manifest({ feedback: { policy: 'feedback-wins' } }), dir, fb).rows.map((r) => [r.key, r.label]),
    );
    expect(fbWins['bagus banget']).toBe('negative');
  });

  it('gives the launcher the manifest rows plus feedback and the evaluation sets as validation', () => {
    const ds = launcherDataset(
      manifest(),
      dir,
      [
        { text: 'baru sekali', label: 'neutral' },
        { text: 'x', label: 'not-a-label' },
      ],
      3,
    );
    expect(ds.train).toHaveLength(3);
    // Validation rows carry their evaluation set's name: the gate tests each set as a segment.
    expect(ds.valid).toEqual([{ text: 'rahasia ujian', label: 'positive', source: 'valid' }]);
  });
});

describe('manifest errors', () => {
  it('names the bad field, the missing file or the unreadable data set', () => {
    expect(() =>
      parseManifest({ manifest_version: 1, name: 'x', sources: [{ name: 'a', path: 'a.tsv', weight: -1 }] }, 'm.json'),
    ).toThrow(
      expect.objectContaining({ code: 'MANIFEST_INVALID', message: expect.stringContaining('sources.0.weight') }),
    );
    expect(() => parseManifest({ manifest_version: 1, name: 'x', sources: [{ name: 'a' }] }, 'm.json')).toThrow(
      /exactly one of path or lexicon/,
    );
    expect(() =>
      parseManifest(
        { manifest_version: 1, name: 'x', sources: [{ name: 'a', path: 'a' }], evaluation: [{ name: 'a', path: 'b' }] },
        'm.json',
      ),
    ).toThrow(/"a" is used twice/);
    expect(() => readManifest(path.join(dir, 'nope.json'))).toThrow(
      expect.objectContaining({ code: 'MANIFEST_NOT_FOUND' }),
    );
    writeFileSync(path.join(dir, 'broken.json'), '{ not json');
    expect(() => readManifest(path.join(dir, 'broken.json'))).toThrow(
      expect.objectContaining({ code: 'MANIFEST_INVALID', message: expect.stringContaining('broken.json') }),
    );
    const missing = parseManifest(
      { manifest_version: 1, name: 'x', sources: [{ name: 'lost', path: 'lost.tsv' }] },
      'm',
    );
    expect(() => assemble(missing, dir)).toThrow(
      expect.objectContaining({ code: 'DATA_INVALID', message: expect.stringContaining('"lost"') }),
    );
    write('bad.xlsx', 'x');
    const badType = parseManifest(
      { manifest_version: 1, name: 'x', sources: [{ name: 'sheet', path: 'bad.xlsx' }] },
      'm',
    );
    expect(() => assemble(badType, dir)).toThrow(/"sheet".*unsupported file type/);
  });

  it('the default manifest parses and trains on train splits only', () => {
    const m = readManifest(DEFAULT_MANIFEST);
    const files = m.sources.flatMap((s) => (s.path ? [s.path] : []));
    expect(files.every((f) => /train/.test(f))).toBe(true);
    expect(m.evaluation.map((e) => e.path).every((f) => /valid/.test(f))).toBe(true);
  });
});
