// Which training job a launcher runs for its model name (LAUNCHER_JOBS, then LAUNCHER_COMMAND, then the
// built-in compact trainer), and what it hands the hf-finetune job.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../platform/errors.js';
import { parseLauncherConfig } from '../../../processors/training-launcher/config.js';
import { jobCommand, jobLabel, selectJob, type JobFiles } from '../../../processors/training-launcher/job.js';

const files: JobFiles = {
  trainFile: '/run/train.jsonl',
  validFile: '/run/valid.jsonl',
  outDir: '/run/package',
  runId: 'run-1',
  dir: '/run',
};

const cfg = (env: Record<string, string>) => parseLauncherConfig({ LAUNCHER_MODEL_NAME: 'indobert', ...env });

describe('job selection per model name', () => {
  it('parses LAUNCHER_JOBS into a map and picks the mapped job, else the command, else compact', () => {
    const c = cfg({ LAUNCHER_JOBS: ' indobert=hf-finetune , ulasan-compact=compact', LAUNCHER_COMMAND: 'my-job' });
    expect(c.LAUNCHER_JOBS).toEqual({ indobert: 'hf-finetune', 'ulasan-compact': 'compact' });
    expect(selectJob(c, 'indobert')).toEqual({ kind: 'hf-finetune' });
    expect(selectJob(c, 'ulasan-compact')).toEqual({ kind: 'compact' });
    expect(selectJob(c, 'other')).toEqual({ kind: 'command', command: 'my-job' });
    expect(selectJob(cfg({}), 'indobert')).toEqual({ kind: 'compact' });
    expect(jobLabel(c)).toBe('hf-finetune (models/trainer/hf-finetune)');
    expect(jobLabel(cfg({}))).toBe('built-in compact trainer');
  });

  it('refuses an unknown job or a malformed pair, naming the variable', () => {
    for (const bad of ['indobert=pytorch', 'indobert', '=compact', 'a b=compact']) {
      let err: unknown;
      try {
        cfg({ LAUNCHER_JOBS: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/LAUNCHER_JOBS/);
    }
  });

  it('runs the fine-tune job with the checkpoint and its own knobs, and the compact trainer without them', () => {
    const parent = {
      PATH: '/usr/bin',
      ULASAN_HF_DEVICE: 'cuda',
      CUDA_VISIBLE_DEVICES: '1',
      CLICKHOUSE_PASSWORD: 'secret',
    };
    const hf = jobCommand(
      cfg({
        LAUNCHER_JOBS: 'indobert=hf-finetune',
        LAUNCHER_HF_CHECKPOINT: '/models/indobert',
        LAUNCHER_JOB_ARGS: '--epochs 2',
      }),
      files,
      parent,
    );
    expect(hf.file).toBe(process.execPath);
    expect(hf.args.slice(2)).toEqual([
      path.resolve(import.meta.dirname, '../../../models/trainer/hf-finetune/job.ts'),
      '--epochs',
      '2',
    ]);
    expect(hf.env).toEqual({
      PATH: '/usr/bin',
      ULASAN_HF_DEVICE: 'cuda',
      CUDA_VISIBLE_DEVICES: '1',
      ULASAN_HF_CHECKPOINT: '/models/indobert',
      ULASAN_JOB_TRAIN: files.trainFile,
      ULASAN_JOB_VALID: files.validFile,
      ULASAN_JOB_OUT: files.outDir,
      ULASAN_JOB_RUN_ID: 'run-1',
      ULASAN_JOB_NAME: 'indobert',
    });
    const compact = jobCommand(cfg({ LAUNCHER_MODEL_NAME: 'ulasan-compact' }), files, parent);
    expect(compact.args[2]).toBe(path.resolve(import.meta.dirname, '../../../models/trainer/job.ts'));
    expect(compact.env).not.toHaveProperty('ULASAN_HF_DEVICE');
    expect(compact.env).not.toHaveProperty('ULASAN_HF_CHECKPOINT');
  });

  it('fails the run with a reason when the fine-tune job has no checkpoint or is asked to distil', () => {
    expect(() => jobCommand(cfg({ LAUNCHER_JOBS: 'indobert=hf-finetune' }), files, {})).toThrow(
      /LAUNCHER_HF_CHECKPOINT is required: indobert runs the hf-finetune job/,
    );
    const distill = { ...files, distill: { teacherDir: '/t', unlabeledFile: '/u.jsonl', source: 'x' } };
    const c = cfg({ LAUNCHER_JOBS: 'indobert=hf-finetune', LAUNCHER_HF_CHECKPOINT: '/models/indobert' });
    expect(() => jobCommand(c, distill, {})).toThrow(/does not distil/);
  });
});
