// The configuration reference is generated from the zod shapes: a variable added, removed or
// re-documented without regenerating docs/configuration.md fails here.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, configurationDoc, propertyComments } from '../../scripts/gen-config-docs.js';

describe('configuration reference', () => {
  it('matches what the config shapes say (npm run gen:config-docs regenerates it)', () => {
    expect(readFileSync(CONFIG_DOC, 'utf8')).toBe(configurationDoc());
  });

  it('documents every variable, and reads both comment styles', () => {
    expect(configurationDoc()).not.toMatch(/\| {2}\|$/m);
    const c = propertyComments(
      'export const s = {\n  /** One. */\n  A: 1,\n  // Two,\n  // lines.\n  B: 2,\n  C: 3,\n};',
      's',
    );
    expect([...c.entries()]).toEqual([
      ['A', 'One.'],
      ['B', 'Two, lines.'],
      ['C', ''],
    ]);
  });
});

describe('README as the front door', () => {
  const root = path.resolve(path.dirname(CONFIG_DOC), '..');
  it('fits in 200 lines, starts with the two commands, and every local link resolves', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
    expect(readme).toContain('bash scripts/run.sh demo');
    expect(readme).toContain('bash scripts/run.sh test');
    const links = [...readme.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^https?:/.test(l));
    expect(links.length).toBeGreaterThan(5);
    for (const l of links) expect(existsSync(path.join(root, l)), l).toBe(true);
  });
});
