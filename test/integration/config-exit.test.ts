// A process started with a missing or invalid variable exits non-zero and names it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

function runProcessors(env: Record<string, string>): { code: number | null; stderr: string } {
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'app/runner.ts'), 'review-store'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr };
}

describe('start-up configuration', () => {
  it('exits non-zero naming an invalid variable', () => {
    const r = runProcessors({ METRICS_PORT: 'not-a-port' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/CONFIG_INVALID/);
    expect(r.stderr).toMatch(/METRICS_PORT/);
  });

  it('exits non-zero naming a missing variable', () => {
    const r = runProcessors({
      ULASAN_ENV: 'production',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1',
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/KAFKA_BROKERS: is required/);
  });

  it('exits non-zero naming an unknown processor list entry', () => {
    const r = runProcessors({ ULASAN_PROCESSORS: 'review-store,nope' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ULASAN_PROCESSORS/);
  });
});
