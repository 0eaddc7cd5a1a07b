// Every temporary directory a test makes (mkdtemp under os.tmpdir(): chdb data, model packages,
// artifact stores, launcher runs) goes under one root per test run (temp-root.ts sets TMPDIR in
// each worker), which this global teardown removes once every test file has finished: repeated
// runs used to pile up gigabytes of 107 MB package copies in /tmp. Workers are forked by the vitest
// process, so its pid names the root.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const testTempRoot = (vitestPid: number): string => path.join(tmpdir(), `ulasan-tests-${vitestPid}`);

export default function setup(): () => void {
  const root = testTempRoot(process.pid);
  return () => rmSync(root, { recursive: true, force: true });
}
