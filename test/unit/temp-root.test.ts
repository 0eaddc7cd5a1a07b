// Test temporary directories live under the run's root, which the global teardown removes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempRoot } from '../setup/temp-cleanup.js';

describe('test temporary directories', () => {
  it('are made under the run root, named by the vitest process', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-probe-'));
    expect(path.dirname(dir)).toBe(process.env.ULASAN_TEST_TMP_ROOT);
    expect(path.basename(process.env.ULASAN_TEST_TMP_ROOT!)).toBe(path.basename(testTempRoot(process.ppid)));
  });
});
