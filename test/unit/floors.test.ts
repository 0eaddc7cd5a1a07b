// The floor rules in eslint.config.js can fail: a planted upward import or circle is reported.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
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
});
