// What a benchmark result carries so that runs compare between commits: the machine, the commit,
// and the figures, as JSON in bench/results/<name>-<date>-<shortsha>.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../test/helpers.js';

export function machine() {
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    load_average_at_start: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

function shortSha(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    return dirty.trim() ? `${sha}-dirty` : sha;
  } catch {
    return 'nogit';
  }
}

/** Process CPU (user + system, all threads) in microseconds since `from`. */
export function cpuMicros(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return d.user + d.system;
}

export function writeResult(name: string, result: Record<string, unknown>): string {
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 19).replace(/[:]/g, '').replace('T', '-');
  const file = path.join(dir, `${name}-${date}-${shortSha()}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
