// Precision, recall and F1 of the topic tagger on the hand-labelled sample (docs/topics.md):
// re-reads each referenced row's text from ULASAN_DATA_DIR, refuses a row whose sha256 differs,
// tags it and compares with the label.
//   npm run topics:eval [-- --half report|tune|all] [--taxonomy models/topics/taxonomy.json] [--errors]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine, runCommandLine } from '../../platform/cli.js';
import { parseConfig } from '../../platform/config.js';
import { readLabelledFile, type LabelledRow } from '../../platform/datasets.js';
import { sha256 } from './sample.js';
import { compileTagger, DEFAULT_TAXONOMY_FILE, loadTaxonomy } from './tagger.js';

export interface LabelledRef {
  file: string;
  row: number;
  sha256: string;
  half: 'tune' | 'report';
  topics: string[];
}

export function parseSample(text: string): LabelledRef[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((line, i) => {
      const [file, row, hash, half, topics] = line.split('\t');
      if (!file || !row || !hash || (half !== 'tune' && half !== 'report') || topics === undefined || topics === '?')
        throw new Error(`sample line ${i + 1} is malformed or unlabelled: ${line}`);
      return { file, row: Number(row), sha256: hash, half, topics: topics === '-' ? [] : topics.split(',') };
    });
}

export interface TopicScore {
  topic: string;
  support: number;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? NaN : a / b);
const f1 = (p: number, r: number): number => (p + r === 0 || Number.isNaN(p + r) ? 0 : (2 * p * r) / (p + r));

/** Per-topic and micro/macro scores of predictions against labels (row by row, same order). */
export function score(ids: readonly string[], truth: string[][], predicted: string[][]) {
  const per: TopicScore[] = ids.map((topic) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      const inT = t.includes(topic);
      const inP = predicted[i]!.includes(topic);
      if (inT && inP) tp++;
      else if (inP) fp++;
      else if (inT) fn++;
    });
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return { topic, support: tp + fn, tp, fp, fn, precision, recall, f1: f1(precision, recall) };
  });
  const sum = (k: 'tp' | 'fp' | 'fn'): number => per.reduce((a, s) => a + s[k], 0);
  const microP = ratio(sum('tp'), sum('tp') + sum('fp'));
  const microR = ratio(sum('tp'), sum('tp') + sum('fn'));
  const withSupport = per.filter((s) => s.support > 0);
  const mean = (k: 'precision' | 'recall' | 'f1'): number =>
    withSupport.reduce((a, s) => a + (Number.isNaN(s[k]) ? 0 : s[k]), 0) / withSupport.length;
  return {
    per,
    micro: { precision: microP, recall: microR, f1: f1(microP, microR) },
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
  };
}

/** The sample's rows with their texts, each checked against its committed hash. */
export function resolveTexts(refs: LabelledRef[], dataDir: string): string[] {
  const files = new Map<string, LabelledRow[]>();
  return refs.map((r) => {
    if (!files.has(r.file)) files.set(r.file, readLabelledFile(path.join(dataDir, r.file)));
    const text = files.get(r.file)![r.row]?.text;
    if (text === undefined || sha256(text) !== r.sha256)
      throw new Error(`${r.file} row ${r.row}: the text is missing or its sha256 differs from the sample's`);
    return text;
  });
}

const pct = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(3));

const USAGE = 'usage: npm run topics:eval [-- --half report|tune|all] [--sample <file>] [--taxonomy <file>] [--errors]';

function main(): void {
  const { values } = parseCommandLine(
    {
      options: {
        half: { type: 'string', default: 'report' },
        sample: { type: 'string', default: 'models/topics/labelled-sample.tsv' },
        taxonomy: { type: 'string' },
        errors: { type: 'boolean', default: false },
      },
    },
    USAGE,
  );
  const all = parseSample(readFileSync(values.sample!, 'utf8'));
  const refs = values.half === 'all' ? all : all.filter((r) => r.half === values.half);
  const texts = resolveTexts(refs, parseConfig({}).ULASAN_DATA_DIR);
  const tagger = compileTagger(loadTaxonomy(values.taxonomy ?? DEFAULT_TAXONOMY_FILE));
  const predicted = texts.map((t) => tagger.tag(t));
  const s = score(
    tagger.topicIds,
    refs.map((r) => r.topics),
    predicted,
  );
  console.log(`taxonomy ${tagger.version}; sample ${values.sample}, half "${values.half}": ${refs.length} rows`);
  console.table(
    s.per.map((p) => ({
      topic: p.topic,
      support: p.support,
      tp: p.tp,
      fp: p.fp,
      fn: p.fn,
      precision: pct(p.precision),
      recall: pct(p.recall),
      f1: pct(p.f1),
    })),
  );
  console.log(`micro P ${pct(s.micro.precision)} R ${pct(s.micro.recall)} F1 ${pct(s.micro.f1)}`);
  console.log(`macro P ${pct(s.macro.precision)} R ${pct(s.macro.recall)} F1 ${pct(s.macro.f1)} (topics with support)`);
  if (values.errors) {
    refs.forEach((r, i) => {
      const p = predicted[i]!;
      if (p.join() !== r.topics.join())
        console.log(
          `${r.file}:${r.row} label [${r.topics}] tagged [${p}] | ${texts[i]!.replace(/\s+/g, ' ').slice(0, 300)}`,
        );
    });
  }
}

if (process.argv[1] && /topics[/\\]eval\.(ts|js)$/.test(process.argv[1])) {
  runCommandLine('topics:eval', main);
}
