import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const TOP = ['./app', './scripts', './bench', './stack', './deploy', './test'];

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
  // into another processor's folder: shared code lives in processors/kit/.
  {
    files: ['processors/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
  {
    files: ['processors/*/*.ts'],
    ignores: ['processors/kit/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!kit/)[^./][^/]*/',
              message: "import shared code from processors/kit/, not another processor's folder",
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
    ignores: ['processors/kit/**'],
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
  // The floors (docs/architecture.md): every import points down, and no circle is left. schemas/ is the
  // bottom (generated types); platform/ depends on nothing of ours above it; models/ on platform/; the
  // processors (and their kit) and the gateway on models/ and platform/; app/, scripts/, bench/, stack/
  // and deploy/ sit on top. The floor rule counts type-only imports too (a type that points up is still a
  // wrong arrow); the cycle rule counts what runs.
  {
    files: ['**/*.ts'],
    ignores: ['test/**'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './schemas', from: ['./platform', './models', './processors', './gateway', ...TOP] },
            { target: './platform', from: ['./models', './processors', './gateway', ...TOP] },
            { target: './models', from: ['./processors', './gateway', ...TOP] },
            { target: './models/core', from: ['./models/trainer', './models/serving'] },
            { target: './models/features', from: ['./models/trainer', './models/serving'] },
            { target: './models/serving', from: ['./models/trainer'] },
            { target: './processors', from: ['./gateway', ...TOP] },
            { target: './processors/kit', from: './processors', except: ['./kit'] },
            { target: './gateway', from: './processors', except: ['./kit'] },
            { target: './gateway', from: TOP },
          ].map((z) => ({ ...z, message: 'imports point down the floors (docs/architecture.md)' })),
        },
      ],
    },
  },
  // Plain Node scripts (no TypeScript types to tell eslint about Node's globals).
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
