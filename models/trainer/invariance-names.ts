// The names an invariance measurement prefixes (`npm run evaluate -- --invariance --names ...` and
// `npm run model:cv -- --invariance --names ...`): the model card's report list, the shipped masking
// list, or a file of the user's own.
import { readFileSync } from 'node:fs';
import { UlasanError } from '../../platform/errors.js';
import { flattenNames, readNameList, SHIPPED_NAMES_FILE } from '../features/names.js';
import { REPORT_NAMES } from './invariance.js';

/** `report` (the card's list), `shipped` (the masking list) or a file: names.json's format or a name a line. */
export function invarianceNames(spec: string): string[] {
  if (spec === 'report') return [...REPORT_NAMES];
  if (spec === 'shipped') return flattenNames(readNameList(SHIPPED_NAMES_FILE));
  if (spec.endsWith('.json')) return flattenNames(readNameList(spec));
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (err) {
    throw new UlasanError(
      'USAGE',
      `--names ${spec}: not report, shipped or a readable file (${(err as Error).message})`,
    );
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
