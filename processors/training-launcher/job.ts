// The training job as a child process: the built-in compact trainer, or LAUNCHER_COMMAND (contract
// in models/trainer/job.ts). Output goes to job.log in the run directory.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LauncherConfig } from './config.js';

export function gitSha(): string | null {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export interface JobFiles {
  trainFile: string;
  validFile: string;
  outDir: string;
  runId: string;
  dir: string;
  /** A distillation: the teacher package and the unlabeled texts (JSONL {"text"}) it labels. */
  distill?: { teacherDir: string; unlabeledFile: string; source: string };
}

/** What any job needs from the launcher's environment; everything else stays with the launcher. */
export const JOB_BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_OPTIONS', 'ULASAN_VOCAB'] as const;

/**
 * The job's environment: an allow-list of the launcher's variables (the base list plus
 * LAUNCHER_JOB_ENV), never the rest (CLICKHOUSE_PASSWORD, tokens), plus the job contract's own.
 */
export function jobEnvironment(
  parent: NodeJS.ProcessEnv,
  allowed: readonly string[],
  contract: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...JOB_BASE_ENV, ...allowed]) {
    const v = parent[name];
    if (v !== undefined) env[name] = v;
  }
  return { ...env, ...contract };
}

/** Resolves with the job's exit code (127 when it could not start). */
export function launchJob(cfg: LauncherConfig, j: JobFiles): Promise<number> {
  return new Promise((resolve) => {
    const extra = cfg.LAUNCHER_JOB_ARGS ? cfg.LAUNCHER_JOB_ARGS.split(/\s+/).filter(Boolean) : [];
    const env = jobEnvironment(process.env, cfg.LAUNCHER_JOB_ENV, {
      ULASAN_JOB_TRAIN: j.trainFile,
      ULASAN_JOB_VALID: j.validFile,
      ULASAN_JOB_OUT: j.outDir,
      ULASAN_JOB_RUN_ID: j.runId,
      ULASAN_JOB_NAME: cfg.LAUNCHER_MODEL_NAME,
      ...(j.distill
        ? {
            ULASAN_JOB_TEACHER: j.distill.teacherDir,
            ULASAN_JOB_UNLABELED: j.distill.unlabeledFile,
            ULASAN_JOB_UNLABELED_SOURCE: j.distill.source,
          }
        : {}),
    });
    const builtIn = path.join(import.meta.dirname, '../../models/trainer/job.ts');
    const child = cfg.LAUNCHER_COMMAND
      ? spawn('sh', ['-c', `${cfg.LAUNCHER_COMMAND} ${extra.join(' ')}`], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['--import', 'tsx', builtIn, ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const logFile = path.join(j.dir, 'job.log');
    child.stdout!.on('data', (d: Buffer) => writeFileSync(logFile, d, { flag: 'a' }));
    child.stderr!.on('data', (d: Buffer) => writeFileSync(logFile, d, { flag: 'a' }));
    child.on('error', () => resolve(127));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
