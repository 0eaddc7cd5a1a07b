// The training job as a child process, chosen per registry model name (LAUNCHER_JOBS): the built-in
// compact trainer, the shipped Hugging Face fine-tune job, or LAUNCHER_COMMAND (contract in
// models/trainer/job.ts). Output goes to job.log in the run directory.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobKind, LauncherConfig } from './config.js';

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

/** The job a model name runs: what LAUNCHER_JOBS maps it to, else LAUNCHER_COMMAND, else the compact trainer. */
export type JobSelection = { kind: JobKind } | { kind: 'command'; command: string };

export function selectJob(
  cfg: Pick<LauncherConfig, 'LAUNCHER_JOBS' | 'LAUNCHER_COMMAND'>,
  modelName: string,
): JobSelection {
  const mapped = cfg.LAUNCHER_JOBS[modelName];
  if (mapped) return { kind: mapped };
  return cfg.LAUNCHER_COMMAND ? { kind: 'command', command: cfg.LAUNCHER_COMMAND } : { kind: 'compact' };
}

/** What a run's params record as its job. */
export function jobLabel(cfg: Pick<LauncherConfig, 'LAUNCHER_JOBS' | 'LAUNCHER_COMMAND' | 'LAUNCHER_MODEL_NAME'>) {
  const job = selectJob(cfg, cfg.LAUNCHER_MODEL_NAME);
  if (job.kind === 'command') return job.command;
  return job.kind === 'compact' ? 'built-in compact trainer' : 'hf-finetune (models/trainer/hf-finetune)';
}

/** Variables the fine-tune job may also see: its own knobs, and which GPU to use. Never secrets. */
export const HF_JOB_ENV = ['ULASAN_HF_PYTHON', 'ULASAN_HF_DEVICE', 'CUDA_VISIBLE_DEVICES'] as const;

const BUILT_IN = {
  compact: path.join(import.meta.dirname, '../../models/trainer/job.ts'),
  'hf-finetune': path.join(import.meta.dirname, '../../models/trainer/hf-finetune/job.ts'),
};

/** The job's argv and its environment; throws (the run fails with the reason) when it cannot run. */
export function jobCommand(
  cfg: LauncherConfig,
  j: JobFiles,
  parentEnv: NodeJS.ProcessEnv = process.env,
): { file: string; args: string[]; env: Record<string, string> } {
  const extra = cfg.LAUNCHER_JOB_ARGS ? cfg.LAUNCHER_JOB_ARGS.split(/\s+/).filter(Boolean) : [];
  const job = selectJob(cfg, cfg.LAUNCHER_MODEL_NAME);
  const contract: Record<string, string> = {
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
  };
  if (job.kind === 'hf-finetune') {
    if (j.distill) {
      throw new Error(
        `the hf-finetune job does not distil (model ${cfg.LAUNCHER_MODEL_NAME}); distil into a compact model`,
      );
    }
    if (!cfg.LAUNCHER_HF_CHECKPOINT) {
      throw new Error(`LAUNCHER_HF_CHECKPOINT is required: ${cfg.LAUNCHER_MODEL_NAME} runs the hf-finetune job`);
    }
    contract.ULASAN_HF_CHECKPOINT = cfg.LAUNCHER_HF_CHECKPOINT;
  }
  const allowed = [...cfg.LAUNCHER_JOB_ENV, ...(job.kind === 'hf-finetune' ? HF_JOB_ENV : [])];
  const env = jobEnvironment(parentEnv, allowed, contract);
  if (job.kind === 'command') return { file: 'sh', args: ['-c', `${job.command} ${extra.join(' ')}`], env };
  return { file: process.execPath, args: ['--import', 'tsx', BUILT_IN[job.kind], ...extra], env };
}

/** Resolves with the job's exit code (127 when it could not start). */
export function launchJob(cfg: LauncherConfig, j: JobFiles): Promise<number> {
  const { file, args, env } = jobCommand(cfg, j);
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const logFile = path.join(j.dir, 'job.log');
    child.stdout!.on('data', (d: Buffer) => writeFileSync(logFile, d, { flag: 'a' }));
    child.stderr!.on('data', (d: Buffer) => writeFileSync(logFile, d, { flag: 'a' }));
    child.on('error', () => resolve(127));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
