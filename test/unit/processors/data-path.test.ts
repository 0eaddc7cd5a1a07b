// The retrain data allow-list (platform/data-path.ts) and the launcher's use of it
// (processors/training-launcher/data-path.ts), on real files in temp directories: traversal,
// absolute paths, symbolic links, and failure reasons that carry no byte of the file.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../../models/trainer/manifest.js';
import { allowedDataPath, retrainDataRoots } from '../../../platform/data-path.js';
import { parseCsv, parseJsonl } from '../../../platform/datasets.js';
import { UlasanError } from '../../../platform/errors.js';
import { readRunManifest } from '../../../processors/training-launcher/data-path.js';
import { PROJECT_ROOT } from '../../../platform/config.js';

const SECRET = 'root:x:0:0:root:/root:/bin/bash';
const temp = (label: string) => mkdtempSync(path.join(tmpdir(), `ulasan-dp-${label}-`));
const dataDir = temp('data');
const manifestDir = temp('manifests');
const outside = temp('outside');
const roots = retrainDataRoots(dataDir, path.join(manifestDir, 'default.json'));
writeFileSync(path.join(outside, 'passwd'), `${SECRET}\n`);
writeFileSync(path.join(manifestDir, 'passwd.json'), `${SECRET}\n`);
mkdirSync(path.join(dataDir, 'sets'));
writeFileSync(path.join(dataDir, 'sets', 'train.jsonl'), '{"text":"bagus","label":"positive"}\n');
symlinkSync(path.join(outside, 'passwd'), path.join(dataDir, 'sets', 'escape.jsonl'));
symlinkSync(outside, path.join(manifestDir, 'elsewhere'));
const manifest = (sources: unknown[]) =>
  JSON.stringify({ manifest_version: 1, name: 't', sources, evaluation: [] }, null, 2);
writeFileSync(path.join(manifestDir, 'ok.json'), manifest([{ name: 'train', path: 'sets/train.jsonl' }]));
writeFileSync(path.join(manifestDir, 'reads-out.json'), manifest([{ name: 'pw', path: path.join(outside, 'passwd') }]));
writeFileSync(path.join(manifestDir, 'via-link.json'), manifest([{ name: 'pw', path: 'sets/escape.jsonl' }]));

function refusal(fn: () => unknown): UlasanError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UlasanError);
    return err as UlasanError;
  }
  throw new Error('expected a refusal');
}

describe('allowedDataPath', () => {
  it('takes the data directory and the launcher manifest directory as roots', () => {
    expect(roots).toEqual([path.resolve(dataDir), path.resolve(manifestDir)]);
    expect(retrainDataRoots(dataDir, path.join(dataDir, 'm.json'))).toEqual([path.resolve(dataDir)]);
  });

  it('accepts a file inside a root, absolute or relative to the data directory', () => {
    const train = path.join(dataDir, 'sets', 'train.jsonl');
    expect(allowedDataPath(train, roots)).toBe(train);
    expect(allowedDataPath('sets/train.jsonl', roots)).toBe(train);
    expect(allowedDataPath(path.join(manifestDir, 'ok.json'), roots)).toBe(path.join(manifestDir, 'ok.json'));
  });

  it.each([
    ['a relative path climbing out', '../../../../etc/passwd'],
    ['an absolute path elsewhere', '/etc/passwd'],
    ['a path climbing out after going in', path.join(dataDir, 'sets', '..', '..', path.basename(outside), 'passwd')],
    ['a file behind a symbolic link', path.join(dataDir, 'sets', 'escape.jsonl')],
    ['a directory behind a symbolic link', path.join(manifestDir, 'elsewhere', 'passwd')],
    ['a directory', path.join(dataDir, 'sets')],
    ['an empty path', ' '],
    ['a NUL byte', 'sets/train.jsonl\0.json'],
  ])('refuses %s with DATA_PATH_REFUSED', (_, requested) => {
    const err = refusal(() => allowedDataPath(requested, roots));
    expect(err.code).toBe('DATA_PATH_REFUSED');
    expect(err.status).toBe(400);
    expect(err.message).not.toContain('root:x');
  });

  it('refuses everything without a root', () => {
    expect(refusal(() => allowedDataPath(path.join(dataDir, 'sets', 'train.jsonl'), [])).code).toBe(
      'DATA_PATH_REFUSED',
    );
  });
});

describe("the launcher's manifest check", () => {
  it('reads a manifest inside the roots whose data sets are inside too', () => {
    const m = readRunManifest(path.join(manifestDir, 'ok.json'), dataDir, path.join(manifestDir, 'default.json'));
    expect(m.sources.map((s) => s.name)).toEqual(['train']);
  });

  it('reads the default manifest against the default data directory', () => {
    const file = path.join(PROJECT_ROOT, 'models', 'manifests', 'default.json');
    expect(readRunManifest(file, path.join(PROJECT_ROOT, '..', 'shared', 'data'), file).name).toBe('ulasan-default');
  });

  it.each([
    ['outside the roots', path.join(outside, 'passwd'), 'DATA_PATH_REFUSED'],
    ['naming a data set outside the roots', path.join(manifestDir, 'reads-out.json'), 'DATA_PATH_REFUSED'],
    ['naming a data set behind a symbolic link', path.join(manifestDir, 'via-link.json'), 'DATA_PATH_REFUSED'],
    ['inside the roots but not JSON', path.join(manifestDir, 'passwd.json'), 'MANIFEST_INVALID'],
  ])('fails a manifest %s with %s and no byte of any file', (_, file, code) => {
    const err = refusal(() => readRunManifest(file, dataDir, path.join(manifestDir, 'default.json')));
    expect(err.code).toBe(code);
    expect(err.message).not.toMatch(/root:x|\/bin\/bash/);
  });
});

// The probe's finding 3: the reason used to read `/etc/passwd: not JSON (Unexpected token 'r', "root:x:0:0"...)`.
describe('parse failures carry no file content', () => {
  it('says a manifest is not JSON without quoting it', () => {
    const file = path.join(outside, 'passwd');
    const err = refusal(() => readManifest(file));
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.message).toBe(`${file}: not a JSON document (a data manifest is JSON)`);
    expect(readFileSync(file, 'utf8')).toContain('root:x');
  });

  it('does not name the unknown keys of a JSON file that is not a manifest', () => {
    const file = path.join(outside, 'config.json');
    writeFileSync(file, JSON.stringify({ db_password: 'hunter2-secret', api_key: 'k' }));
    const err = refusal(() => readManifest(file));
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.message).not.toMatch(/hunter2|db_password|api_key/);
  });

  it('names the line of a bad JSON line or CSV record, not its text', () => {
    expect(refusal(() => parseJsonl('{"text":"a"}\nSECRET-LINE root:x\n')).message).toBe('record 2 is not a JSON line');
    const csv = refusal(() => parseCsv('text,label\n"a"b SECRET,positive\n'));
    expect(csv.code).toBe('DATA_INVALID');
    expect(csv.message).not.toContain('SECRET');
  });
});
