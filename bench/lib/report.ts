// What a benchmark result carries so that runs compare between commits: the machine, the commit,
// and the figures, as JSON in bench/results/<name>-<date>-<shortsha>.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** The thread name and CPU microseconds so far (user + system) of one /proc/self/task/<tid>/stat. */
function taskCpu(tid: string): { name: string; us: number } {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '');
  // Fields after the parenthesised name; utime and stime are stat(5)'s 14th and 15th, in clock ticks
  // (100 a second on Linux: fine over windows of seconds).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name, us: ((Number(f[11]) + Number(f[12])) * 1e6) / 100 };
}

export const MAIN_THREAD = 'main (JavaScript)';

/**
 * CPU of the main (JavaScript) thread so far, in microseconds; null where /proc is not there. Process
 * CPU minus this is what the other threads did (chdb's engine, libuv's pool, V8's helpers).
 */
export function mainThreadCpuMicros(): number | null {
  try {
    return taskCpu(String(process.pid)).us;
  } catch {
    return null;
  }
}

/** CPU microseconds so far of each thread of this process, summed by thread name (Linux /proc). */
export function threadCpuByName(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const { name, us } = taskCpu(tid);
      const key = tid === String(process.pid) ? MAIN_THREAD : name;
      out.set(key, (out.get(key) ?? 0) + us);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Per-thread-name CPU between two threadCpuByName() readings, per item, largest first. */
export function threadCpuDelta(a: Map<string, number>, b: Map<string, number>, items: number) {
  return [...b]
    .map(([thread, us]) => ({ thread, 'µs/review': Number(((us - (a.get(thread) ?? 0)) / items).toFixed(2)) }))
    .filter((r) => r['µs/review'] > 0)
    .sort((x, y) => y['µs/review'] - x['µs/review']);
}
