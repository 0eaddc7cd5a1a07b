// One config, two modes. TEST_MODE=unit runs the pure tests (no services); integration runs the tests
// that need the real stack (started by the global setup); all (the default of `npm test`) runs both.
// An unknown mode fails at once rather than silently running nothing.
import { defineConfig } from 'vitest/config';

const MODES = ['unit', 'integration', 'all'] as const;
type Mode = (typeof MODES)[number];
const mode = (process.env.TEST_MODE ?? 'all') as Mode;
if (!MODES.includes(mode)) {
  throw new Error(`TEST_MODE must be one of ${MODES.join(', ')}; got "${process.env.TEST_MODE}"`);
}

const include = {
  unit: ['test/unit/**/*.test.ts'],
  integration: ['test/integration/**/*.test.ts'],
  all: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
}[mode];

export default defineConfig({
  test: {
    include,
    // chdb locks its data directory per process and is a native singleton: one test file per process.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/setup/temp-cleanup.ts', ...(mode === 'unit' ? [] : ['test/setup/global-stack.ts'])],
    setupFiles: ['test/setup/temp-root.ts', ...(mode === 'unit' ? [] : ['test/setup/stack-identity.ts'])],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
