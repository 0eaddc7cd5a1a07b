// Prints one plain closing line any CI can read ("N passed, N failed, N skipped") from vitest's JSON
// report, and exits with vitest's status.
import { readFileSync } from 'node:fs';

const status = Number(process.argv[2] ?? 1);
try {
  const r = JSON.parse(readFileSync('test-artifacts/vitest.json', 'utf8'));
  console.log(
    `${r.numPassedTests} passed, ${Math.max(r.numFailedTests, r.numFailedTestSuites)} failed, ` +
      `${r.numPendingTests + r.numTodoTests} skipped`,
  );
} catch {
  console.log('0 passed, 1 failed (no vitest report)');
}
process.exit(status);
