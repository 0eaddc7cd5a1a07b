// The names `npm run evaluate -- --invariance --names` and `npm run model:cv -- --invariance --names` prefix.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flattenNames, readNameList, SHIPPED_NAMES_FILE } from '../../../models/features/names.js';
import { invarianceNames } from '../../../models/trainer/invariance-names.js';
import { REPORT_NAMES } from '../../../models/trainer/invariance.js';

describe('invarianceNames', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'inv-names-'));

  it('reads the report list, the shipped list, a names.json-format file or a name a line', () => {
    expect(invarianceNames('report')).toEqual([...REPORT_NAMES]);
    expect(invarianceNames('shipped')).toEqual(flattenNames(readNameList(SHIPPED_NAMES_FILE)));
    const json = path.join(dir, 'mine.json');
    writeFileSync(json, JSON.stringify({ version: 2, names: { apps: ['kopikita', 'toko kita'] } }));
    expect(invarianceNames(json)).toEqual(['kopikita', 'toko kita']);
    const lines = path.join(dir, 'mine.txt');
    writeFileSync(lines, 'rupiah cepat\n\n  gobiz \nmy bluebird\n');
    expect(invarianceNames(lines)).toEqual(['rupiah cepat', 'gobiz', 'my bluebird']);
  });

  it('names the bad argument when the file cannot be read', () => {
    expect(() => invarianceNames(path.join(dir, 'missing.txt'))).toThrow(
      /--names .*missing\.txt: not report, shipped or a readable file/,
    );
  });
});
