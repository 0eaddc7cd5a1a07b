import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const TOP = ['./app', './scripts', './bench', './stack', './deploy', './test'];

// Source is everything linted but the tests (and schemas/types.generated.ts, ignored below).
const SOURCE = ['**/*.ts', '**/*.js', '**/*.mjs'];

// Only the platform talks to the clients (docs/architecture.md): each package is imported by the one
// platform/ folder that wraps it, and everything else imports the wrapper. Type-only imports count
// too (the core rule checks `import type`): a kafkajs type in a processor ties it to kafkajs all the same.
const CLIENTS = [
  { pkg: 'kafkajs', home: 'platform/kafka', via: 'platform/kafka/kafka.ts (it re-exports the types)' },
  { pkg: '@kafkajs/confluent-schema-registry', home: 'platform/serde', via: 'platform/serde/serde.ts' },
  { pkg: 'chdb', home: 'platform/clickhouse', via: 'platform/clickhouse/ (the Store)' },
  { pkg: '@clickhouse/client', home: 'platform/clickhouse', via: 'platform/clickhouse/ (the Store)' },
];
const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** no-restricted-imports patterns for every client package not at home in `home`. */
const clientPatterns = (home) =>
  CLIENTS.filter((c) => c.home !== home).map((c) => ({
    regex: `^${escapeRegex(c.pkg)}(/|$)`,
    message: `only ${c.home}/ imports ${c.pkg}: import it through ${c.via}`,
  }));
// Another processor's folder is off limits to a processor (shared code lives in processors/kit/).
const SIBLING_PROCESSOR = {
  regex: '^\\.\\./(?!kit/)[^./][^/]*/',
  message: "import shared code from processors/kit/, not another processor's folder",
};

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
  // Small functions and readable lines in every source folder: a function over 60 lines (blank lines
  // and comments aside) is split into named steps; a line over 120 columns fails, strings and
  // templates included (split them: prettier, at the same printWidth, cannot), URLs aside.
  {
    files: SOURCE,
    ignores: ['test/**'],
    rules: {
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
      'max-len': [
        'error',
        {
          code: 120,
          ignoreUrls: true,
          ignoreStrings: false,
          ignoreTemplateLiterals: false,
          ignoreRegExpLiterals: false,
          ignoreComments: false,
        },
      ],
    },
  },
  // Client packages stay in their platform/ folder. Flat config gives a file the options of the last
  // block that sets a rule, so every block below that sets no-restricted-imports repeats the patterns
  // that must hold there (the processors' block adds the sibling rule to the clients' patterns).
  {
    files: SOURCE,
    ignores: ['test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: clientPatterns() }] },
  },
  ...['platform/kafka', 'platform/serde', 'platform/clickhouse'].map((home) => ({
    files: [`${home}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: clientPatterns(home) }] },
  })),
  // A processor is small functions around a pure handler (processors/README.md), and never reaches
  // into another processor's folder: shared code lives in processors/kit/.
  {
    files: ['processors/*/*.ts'],
    ignores: ['processors/kit/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SIBLING_PROCESSOR, ...clientPatterns()] }] },
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
