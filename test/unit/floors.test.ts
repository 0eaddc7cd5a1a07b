// The floor rules in eslint.config.js can fail: a planted upward import, circle, client import, long
// function or long line is reported. And no circle is left in the import graph, type-only imports
// included (import-x/no-cycle skips `import type` and has no option to count it).
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../platform/config.js';

const eslint = new ESLint({ cwd: PROJECT_ROOT });

async function problems(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: path.join(PROJECT_ROOT, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('floors (lint)', () => {
  it('refuses an upward import from platform/ into models/', async () => {
    const text = "import { loadPackage } from '../models/core/package.js';\nexport const f = loadPackage;\n";
    expect((await problems('platform/zz-up.ts', text)).join('\n')).toMatch(/no-restricted-paths/);
  });

  it('refuses models/ importing a processor, and the gateway importing one (the kit is allowed)', async () => {
    const up = "import { scoring } from '../../processors/scoring/main.js';\nexport const s = scoring;\n";
    expect((await problems('models/core/zz-up.ts', up)).join('\n')).toMatch(/no-restricted-paths/);
    const sideways = "import { scoring } from '../processors/scoring/main.js';\nexport const s = scoring;\n";
    expect((await problems('gateway/zz-side.ts', sideways)).join('\n')).toMatch(/no-restricted-paths/);
    const kit = "import { triage } from '../processors/kit/triage.js';\nexport const t = triage;\n";
    expect(await problems('gateway/zz-kit.ts', kit)).toEqual([]);
  });

  it('refuses a processor reaching into another processor', async () => {
    const text = "import { windowCloser } from '../drift/windows.js';\nexport const w = windowCloser;\n";
    expect((await problems('processors/scoring/zz.ts', text)).join('\n')).toMatch(/no-restricted-imports/);
  });

  it('refuses a circle', async () => {
    const dir = path.join(PROJECT_ROOT, 'platform', `zz-cycle-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n");
      writeFileSync(
        path.join(dir, 'b.ts'),
        "import { a } from './a.js';\nexport const b = (): number => (a ? 1 : 0);\n",
      );
      const [result] = await eslint.lintFiles([path.join(dir, 'a.ts')]);
      expect(result!.messages.map((m) => m.ruleId)).toContain('import-x/no-cycle');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets only platform/kafka/ import kafkajs, types included (tests may)', async () => {
    const text = "import type { Producer } from 'kafkajs';\nexport type P = Producer;\n";
    expect((await problems('gateway/zz-kafka.ts', text)).join('\n')).toMatch(/no-restricted-imports.*platform\/kafka/);
    expect((await problems('scripts/soak/zz-kafka.ts', text)).join('\n')).toMatch(/no-restricted-imports/);
    expect(await problems('platform/kafka/zz-kafka.ts', text)).toEqual([]);
    expect(await problems('test/unit/zz-kafka.test.ts', text)).toEqual([]);
  });

  it('lets only platform/serde/ import the registry client, and keeps the sibling rule beside it', async () => {
    const registry =
      "import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';\nexport const r = SchemaRegistry;\n";
    const sibling = "import { windowCloser } from '../drift/windows.js';\nexport const w = windowCloser;\n";
    const both = (await problems('processors/scoring/zz-both.ts', registry + sibling)).join('\n');
    expect(both).toMatch(/only platform\/serde\/ imports @kafkajs\/confluent-schema-registry/);
    expect(both).toMatch(/not another processor's folder/);
    expect((await problems('platform/kafka/zz-registry.ts', registry)).join('\n')).toMatch(/no-restricted-imports/);
    expect(await problems('platform/serde/zz-registry.ts', registry)).toEqual([]);
  });

  it('lets only platform/clickhouse/ import chdb and @clickhouse/client', async () => {
    const chdb = "import { Session } from 'chdb';\nexport const s = Session;\n";
    const http = "import { createClient } from '@clickhouse/client';\nexport const c = createClient;\n";
    expect((await problems('models/zz-chdb.ts', chdb)).join('\n')).toMatch(/only platform\/clickhouse\/ imports chdb/);
    expect((await problems('processors/kit/zz-http.ts', http)).join('\n')).toMatch(/no-restricted-imports/);
    expect(await problems('platform/clickhouse/zz-chdb.ts', chdb + http)).toEqual([]);
  });

  it('refuses a function over 60 lines and a line over 120 columns outside the tests', async () => {
    const body = Array.from({ length: 61 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const long = `export function long(): number {\n${body}\n  return v0;\n}\n`;
    expect((await problems('models/zz-long.ts', long)).join('\n')).toMatch(/max-lines-per-function/);
    const wide = `export const wide = '${'x'.repeat(120)}';\n`;
    expect((await problems('gateway/zz-wide.ts', wide)).join('\n')).toMatch(/max-len/);
    expect((await problems('scripts/zz-wide.mjs', wide)).join('\n')).toMatch(/max-len/);
    expect((await problems('test/unit/zz-wide.test.ts', wide + long)).join('\n')).not.toMatch(/max-len|max-lines/);
  });

  it('finds a type-only circle in a planted pair, and none in the source', () => {
    const dir = path.join(PROJECT_ROOT, 'platform', `zz-type-cycle-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b?: B }\n");
      writeFileSync(path.join(dir, 'b.ts'), "import type { A } from './a.js';\nexport interface B { a?: A }\n");
      const planted = importCircles(['a.ts', 'b.ts'].map((f) => path.join(dir, f)));
      expect(planted).toEqual([[path.join(dir, 'a.ts'), path.join(dir, 'b.ts')]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const source = sourceFiles(PROJECT_ROOT);
    expect(source.length).toBeGreaterThan(100);
    expect(importCircles(source).map((c) => c.map((f) => path.relative(PROJECT_ROOT, f)))).toEqual([]);
  });
});

/** Every .ts file under the source folders (tests, generated and built files aside). */
function sourceFiles(root: string): string[] {
  const skip = new Set(['node_modules', 'test', 'dist', '.stack', 'test-artifacts', 'packages']);
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) return skip.has(name) || name.startsWith('.') ? [] : walk(file);
      return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [file] : [];
    });
  return walk(root);
}

/** Circles (strongly connected components) of the files' relative imports, `import type` included. */
function importCircles(files: string[]): string[][] {
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .filter((r) => r.fileName.startsWith('.'))
      .map((r) => path.resolve(path.dirname(file), r.fileName.replace(/\.js$/, '.ts')));
    edges.set(
      file,
      targets.filter((t) => known.has(t)),
    );
  }
  // Tarjan's algorithm: a component of more than one file is a circle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) visit(w);
      if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) circles.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return circles;
}
