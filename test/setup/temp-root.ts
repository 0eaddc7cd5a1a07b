// Each test worker's temporary directories go under the run's root (see temp-cleanup.ts).
import { mkdirSync } from 'node:fs';
import { testTempRoot } from './temp-cleanup.js';

if (!process.env.ULASAN_TEST_TMP_ROOT) {
  const root = testTempRoot(process.ppid);
  mkdirSync(root, { recursive: true });
  process.env.ULASAN_TEST_TMP_ROOT = root;
  // os.tmpdir() reads TMPDIR on every call, here and in any child process a test starts.
  process.env.TMPDIR = root;
}
