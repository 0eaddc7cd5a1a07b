// model:cv's every-row estimate: a star-rated file scored on each of its rows (duplicates counted,
// each row with its own stars) from the out-of-fold prediction of its distinct text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { everyRow } from '../../../models/trainer/cv.js';
import { assemble, parseManifest } from '../../../models/trainer/manifest.js';

describe('everyRow', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-cv-'));
  writeFileSync(
    path.join(dir, 'app.csv'),
    ['text,label,stars', 'Good,,5', 'Good,,5', 'Good,,3', 'jelek sekali,,1', 'lumayan,,3', 'error terus,,2'].join(
      '\n',
    ) + '\n',
  );
  const m = parseManifest(
    {
      manifest_version: 1,
      name: 'cv',
      sources: [{ name: 'app', path: 'app.csv', label_from: 'stars' }],
    },
    'test',
  );
  const data = assemble(m, dir);
  // Out-of-fold probabilities (negative, neutral, positive) per distinct text; "error terus" has none
  // (as if its fold never ran), so its row is not counted.
  const said: Record<string, number[]> = {
    good: [0.1, 0.1, 0.8],
    'jelek sekali': [0.9, 0.05, 0.05],
    lumayan: [0.2, 0.3, 0.5],
  };
  const oof = data.rows.map((r) => (said[r.key] ? Float32Array.from(said[r.key]!) : undefined));

  it('counts duplicates with their own stars and skips texts without a prediction', () => {
    expect(data.rows.map((r) => r.key).sort()).toEqual(['error terus', 'good', 'jelek sekali', 'lumayan']);
    const r = everyRow({ data, result: { oof: oof as Float32Array[], evaluation: {} } }, m, dir, [0, 0, 0])['app']!;
    // Good x3 (positive, positive, neutral: 2 right), jelek (right), lumayan (neutral, said positive).
    expect(r.rows).toBe(5);
    expect(r.accuracy).toBeCloseTo(3 / 5, 10);
  });

  it('applies the decision offsets before the top label', () => {
    const r = everyRow({ data, result: { oof: oof as Float32Array[], evaluation: {} } }, m, dir, [0, 1, 0])['app']!;
    // +1 on neutral turns "lumayan" neutral (log 0.3 + 1 > log 0.5) but not "Good" (log 0.1 + 1 < log 0.8).
    expect(r.accuracy).toBeCloseTo(4 / 5, 10);
  });
});
