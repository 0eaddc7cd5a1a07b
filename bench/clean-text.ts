// CPU per review of the model's clean text (modelInputText) against its first, plain-regex definition
// (the parity tests' reference), interleaved in one process over the benchmarks' real texts.
//   npx tsx bench/clean-text.ts [--reviews 20000] [--rounds 7]
import path from 'node:path';
import { parseArgs } from 'node:util';
import emojiRegex from 'emoji-regex';
import { modelInputText } from '../models/features/features.js';
import { referenceCleanText } from '../test/unit/models/features-reference.js';
import { cpuMicros, machine, writeResult } from './lib/report.js';
import { benchReviews } from './lib/reviews.js';

const { values } = parseArgs({
  options: { reviews: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '7' } },
});
const texts = benchReviews(Number(values.reviews), 'b-').map((r) => r.text);
const re = emojiRegex();
const variants = {
  'reference (plain regex, first definition)': (t: string) => referenceCleanText(t.toWellFormed(), re),
  'modelInputText (now)': modelInputText,
};
const runs = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round <= Number(values.rounds); round++)
  for (const [name, fn] of Object.entries(variants)) {
    const c0 = process.cpuUsage();
    for (const t of texts) fn(t);
    if (round > 0) runs.get(name)!.push(cpuMicros(c0) / texts.length); // round 0 warms up
  }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows = [...runs].map(([variant, xs]) => ({
  variant,
  'median µs/review': Number(median(xs).toFixed(2)),
  'min µs': Number(Math.min(...xs).toFixed(2)),
  'max µs': Number(Math.max(...xs).toFixed(2)),
}));
console.table(rows);
console.log(
  `ratio now / reference (medians): ${(rows[1]!['median µs/review'] / rows[0]!['median µs/review']).toFixed(2)}`,
);
const file = writeResult('clean-text', {
  bench: 'bench/clean-text.ts',
  reviews: texts.length,
  machine: machine(),
  rows,
});
console.log(`results: ${path.relative(process.cwd(), file)}`);
