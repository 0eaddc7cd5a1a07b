// npm run gate:check on packages whose predictions are known by construction: the same package is
// promoted over itself, one that calls every "biasa" review negative stays Staging with the failed
// check named, and the exit status says which (0 / 1; 2 for a wrong command line).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../helpers.js';
import { buildKnownPackage } from './models/fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-gate-check-'));

function gateCheck(...args: string[]) {
  // The gate's defaults, whatever the calling shell has set.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LAUNCHER_')));
  return runCommand('scripts/gate-check.ts', args, env);
}

describe('npm run gate:check', () => {
  const good = buildKnownPackage(path.join(dir, 'good'));
  const worse = buildKnownPackage(path.join(dir, 'worse'), { jelek: 0, biasa: 0, bagus: 2 });
  // 60 rows per file (segments are tested from 50), every one right for `good`; 6 of them "biasa", so
  // `worse` is right on 90 % (above the promotion floor: only the paired tests can stop it).
  const row = (i: number): string => (i % 10 === 0 ? 'biasa\tneutral' : i % 2 ? 'jelek\tnegative' : 'bagus\tpositive');
  const data = (name: string): string => {
    const file = path.join(dir, `${name}.tsv`);
    writeFileSync(file, Array.from({ length: 60 }, (_, i) => row(i)).join('\n') + '\n');
    return file;
  };
  const apps = data('apps');
  const tweets = data('tweets');

  it('promotes a package over itself and names every check it passed', { timeout: 120_000 }, () => {
    const res = gateCheck('--candidate', good, '--production', good, '--data', apps, '--data', tweets, '--json');
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.promote).toBe(true);
    expect(out.rows).toBe(120);
    expect(out.settings).toMatchObject({ margin: 0.005, segmentMargin: 0.05, segmentMinRows: 50 });
    const checks = Object.fromEntries(out.checks.map((c: { id: string }) => [c.id, c]));
    expect(checks.macro_f1).toMatchObject({ outcome: 'pass', estimate: 0, bound: 0, against: `Production ${good}` });
    expect(checks.segment_source_apps_accuracy.outcome).toBe('pass');
    expect(checks.segment_source_tweets_macro_f1.outcome).toBe('pass');
    expect(checks.invariance_share_shift.outcome).toBe('not measured');
    expect(out.agreement.all).toEqual({ rows: 120, changed: 0, onlyCandidate: 0, onlyReference: 0, mcnemarP: 1 });
  });

  it(
    'keeps a worse package in Staging, names the failed test and counts the rows it lost',
    { timeout: 120_000 },
    () => {
      const res = gateCheck('--candidate', worse, '--production', good, '--history', good, '--data', apps);
      expect(res.status, res.stderr).toBe(1);
      expect(res.stdout).toMatch(/^NO PROMOTION: stays Staging: .*macro-F1 non-inferiority vs Production /m);
      expect(res.stdout).toMatch(/fail +segment source:apps accuracy vs Production .*, 60 rows: Δ -0\.1000/);
      expect(res.stdout).toContain(`ratchet: macro-F1 vs ${good} (best of the last 2 Production)`);
      // Every "biasa" row (6 of 60) now wrong: McNemar 0 / 6, p = 2 / 2^6.
      expect(res.stdout).toMatch(
        /apps +60 rows {2}6 verdicts changed, right only candidate 0 \/ only production 6, .* p 0\.031/,
      );
    },
  );

  it('gates on the evaluation sets of the manifest the candidate was built from', { timeout: 120_000 }, () => {
    const built = buildKnownPackage(path.join(dir, 'built'));
    const manifest = { manifest_version: 1, name: 'toy', sources: [], evaluation: [{ name: 'toy-valid', path: apps }] };
    writeFileSync(path.join(built, 'data-manifest.json'), JSON.stringify(manifest));
    const res = gateCheck('--candidate', built, '--production', good, '--json');
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.rows).toBe(60);
    expect(Object.keys(out.agreement.by_source)).toEqual(['toy-valid']);
    expect(out.agreement.all.rows).toBe(60);
    expect(out.checks.map((c: { id: string }) => c.id)).toContain('segment_source_toy_valid_macro_f1');
  });

  it('exits 2 on a wrong command line, a package without evaluation sets or two sets of one name', () => {
    const usage = gateCheck('--candidate', good);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: npm run gate:check');
    const noRows = gateCheck('--candidate', good, '--production', good);
    expect(noRows.status).toBe(2);
    expect(noRows.stderr).toContain('has no data-manifest.json with evaluation sets: pass --data');
    mkdirSync(path.join(dir, 'other'), { recursive: true });
    const sameName = path.join(dir, 'other', 'apps.tsv');
    writeFileSync(sameName, readFileSync(apps));
    const twice = gateCheck('--candidate', good, '--production', good, '--data', apps, '--data', sameName);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('two --data files are named apps: each file is a segment, rename one');
  });
});
