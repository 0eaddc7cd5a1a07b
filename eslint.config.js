import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.stack/', 'dist/', 'schemas/types.generated.ts', 'test-artifacts/', '.venv*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // A processor is small functions around a pure handler (processors/README.md), and never reaches
  // into another processor's folder: shared code lives in processors/shared/.
  {
    files: ['processors/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
  {
    files: ['processors/*/*.ts'],
    ignores: ['processors/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!shared/)[^./][^/]*/',
              message: "import shared code from processors/shared/, not another processor's folder",
            },
          ],
        },
      ],
    },
  },
  // The kit owns time: a processor asks ctx.scheduler for punctuation (wall-clock or event-time)
  // instead of running a timer of its own, so it starts, stops and reports failures with the processor.
  {
    files: ['processors/*/*.ts'],
    ignores: ['processors/shared/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'setInterval', message: 'schedule punctuation with ctx.scheduler.schedule(every, kind, fn)' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'globalThis',
          property: 'setInterval',
          message: 'schedule punctuation with ctx.scheduler.schedule(every, kind, fn)',
        },
      ],
    },
  },
  // Plain Node scripts (no TypeScript types to tell eslint about Node's globals).
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
