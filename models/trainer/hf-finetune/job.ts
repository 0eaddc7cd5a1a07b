// The `hf-finetune` training job (LAUNCHER_JOBS=<model>=hf-finetune): the job contract of
// models/trainer/job.ts, plus ULASAN_HF_CHECKPOINT, a local Hugging Face checkpoint directory.
//   1. finetune.py (PyTorch/transformers, in the bootstrap's .venv-train or ULASAN_HF_PYTHON) fine-tunes
//      the checkpoint on ULASAN_JOB_TRAIN, exports ONNX, quantizes int8, checks both exports against
//      PyTorch on the same token ids and writes the package to ULASAN_JOB_OUT; it fails when a bound is
//      not met (fp32 max |dlogit| 1e-4, int8 top-label agreement 0.99 by default).
//   2. This process then measures the package as it will be served: the scorer's engine on the
//      ULASAN_JOB_VALID rows (the metrics the gates read, written as the compact trainer writes them)
//      and on the check texts against PyTorch's logits.
// Extra arguments go to finetune.py (e.g. --epochs 3 --batch-size 32 --device cuda).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isUlasanError } from '../../../platform/errors.js';
import { measurePackage } from './measure.js';
import { trainPython } from './python.js';

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) {
    console.error(`hf-finetune job: ${name} is required`);
    process.exit(2);
  }
  return v;
};

const python = trainPython();
if (!existsSync(python)) {
  console.error(`hf-finetune job: no Python at ${python}: run scripts/bootstrap.sh (or set ULASAN_HF_PYTHON)`);
  process.exit(2);
}
const outDir = need('ULASAN_JOB_OUT');
const validFile = need('ULASAN_JOB_VALID');
need('ULASAN_HF_CHECKPOINT');
const args = process.argv.slice(2);
const minAgreementArg = args.indexOf('--min-int8-agreement');
const minAgreement = minAgreementArg >= 0 ? Number(args[minAgreementArg + 1]) : 0.99;
const work = mkdtempSync(path.join(tmpdir(), 'ulasan-hf-job-'));
const checkFile = path.join(work, 'export-check.json');

const child = spawn(python, [path.join(import.meta.dirname, 'finetune.py'), ...args], {
  env: { ...process.env, ULASAN_HF_CHECK_FILE: checkFile, PYTHONUNBUFFERED: '1' },
  stdio: ['ignore', 'inherit', 'inherit'],
});

// A job outlives a SIGKILLed launcher as an orphan; it stops itself and its Python instead.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) {
    console.error('hf-finetune job: launcher is gone, stopping');
    child.kill('SIGKILL');
    process.exit(3);
  }
}, 500).unref();

const finish = (code: number): never => {
  rmSync(work, { recursive: true, force: true });
  process.exit(code);
};

child.on('error', (err) => {
  console.error(`hf-finetune job: cannot start ${python}: ${err.message}`);
  finish(127);
});
child.on('exit', (code, signal) => {
  if (code !== 0) {
    console.error(`hf-finetune job: finetune.py exited with ${signal ?? code}`);
    finish(code || 1);
  }
  measurePackage(outDir, validFile, checkFile, minAgreement).then(
    ({ report, served }) => {
      const cpu = process.cpuUsage();
      const cpuSeconds = Math.round((cpu.user + cpu.system) / 1e5) / 10;
      const summary = { accuracy: report.accuracy, macro_f1: report.macro_f1, n: report.n, served, cpuSeconds };
      console.log(`hf-finetune job: measured through the serving engine ${JSON.stringify(summary)}`);
      finish(0);
    },
    (err: unknown) => {
      console.error(`hf-finetune job: ${isUlasanError(err) ? `${err.code}: ${err.message}` : String(err)}`);
      finish(1);
    },
  );
});
