// docker-compose.yml must stay valid. This machine has no Docker engine; Debian's docker-compose
// (1.29) validates the file offline. Provisioning paths it mounts must exist in the repo.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q', () => {
    const r = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(r.error, 'docker-compose is not installed (bash scripts/bootstrap.sh installs it)').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
  });

  it('mounts provisioning and dashboards that exist, and has a healthcheck on every service', () => {
    const r = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const m of text.matchAll(/- \.\/([\w/.-]+):/g)) expect(existsSync(path.join(ROOT, m[1]!)), m[1]).toBe(true);
    const list = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '--services'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    const names = list.stdout.trim().split('\n').sort();
    expect(names).toEqual(['clickhouse', 'gateway', 'grafana', 'kafka', 'processors', 'registry']);
    // In the normalised output each service's keys sit at 4 spaces: one healthcheck per service.
    expect(r.stdout.match(/^ {4}healthcheck:$/gm)?.length).toBe(names.length);
  });
});
