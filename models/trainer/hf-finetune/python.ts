// Where the fine-tune job's Python lives: the bootstrap's training environment (scripts/bootstrap.sh
// installs models/trainer/hf-finetune/requirements.txt into it), unless ULASAN_HF_PYTHON names another.
import path from 'node:path';
import { PROJECT_ROOT } from '../../../platform/config.js';

export const TRAIN_PYTHON = path.join(PROJECT_ROOT, '.venv-train', 'bin', 'python');

export const trainPython = (env: NodeJS.ProcessEnv = process.env): string => env.ULASAN_HF_PYTHON ?? TRAIN_PYTHON;
