// Paths of the real Hugging Face fixtures in ../shared (never copied into the repo).
import path from 'node:path';
import { PROJECT_ROOT } from '../../../processors/shared/config.js';

export const FIXTURES = path.resolve(
  process.env.ULASAN_FIXTURES_DIR ?? path.join(PROJECT_ROOT, '..', 'shared', 'fixtures'),
);
export const VOCAB = path.join(FIXTURES, 'indobert-vocab', 'vocab.txt');
export const BERT_TINY = path.join(FIXTURES, 'bert-tiny');
export const XLMR_TINY = path.join(FIXTURES, 'xlmr-tiny-ce');
export const DATA = path.resolve(process.env.ULASAN_DATA_DIR ?? path.join(PROJECT_ROOT, '..', 'shared', 'data'));
