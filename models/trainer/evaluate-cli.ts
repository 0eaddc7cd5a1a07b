// npm run evaluate -- --model <dir> --data <file> [--data <file> ...] [--json]
//                     [--invariance [--names report|shipped|<file>]]
// Scores each labelled file (TSV/CSV/JSONL, as for training) with the package through the serving
// engine and prints accuracy, macro-F1, per-class P/R/F1, the confusion matrix, ECE and slices.
// --json prints exactly one JSON object per data file, each on its own line.
// --invariance scores each file's texts prefixed with `aplikasi <name>` for every name and with the
// neutral `aplikasi ini`, and prints each name's shift in label shares and accuracy and the worst
// (names: the model card's report list by default, `shipped` for models/features/names.json, or a
// file: that JSON format or one name a line).
import path from 'node:path';
import { InferenceEngine } from '../core/engine.js';
import { exitOnUsageError, parseCommandLine } from '../../platform/cli.js';
import { isUlasanError, UlasanError } from '../../platform/errors.js';
import { enginePredictor, evaluateFile, readEvaluationFile, type EvaluationReport } from './evaluate.js';
import { formatInvariance, measureInvariance } from './invariance.js';
import { invarianceNames } from './invariance-names.js';
import { progressBar, type Progress } from '../../platform/progress.js';

const USAGE =
  'usage: npm run evaluate -- --model <package dir> --data <file> [--data <file> ...] [--json] ' +
  '[--invariance [--names report|shipped|<file>]]';

function printHuman(r: EvaluationReport): void {
  console.log(
    `\n${r.file}: ${r.n} rows  accuracy ${r.accuracy.toFixed(4)}  ` +
      `macro-F1 ${r.macro_f1.toFixed(4)}  ECE ${r.ece.toFixed(4)}`,
  );
  for (const [label, c] of Object.entries(r.per_class)) {
    console.log(
      `  ${label.padEnd(9)} P ${c.precision.toFixed(3)}  R ${c.recall.toFixed(3)}  ` +
        `F1 ${c.f1.toFixed(3)}  n ${c.support}`,
    );
  }
  console.log(
    `  confusion (rows true, columns predicted; ${Object.keys(r.per_class).join('/')}): ` +
      JSON.stringify(r.confusion_matrix),
  );
  for (const [slice, values] of Object.entries(r.slices)) {
    const parts = Object.entries(values).map(
      ([v, m]) => `${v} n=${m.n} acc ${m.accuracy.toFixed(3)} mF1 ${m.macro_f1.toFixed(3)}`,
    );
    console.log(`  ${slice}: ${parts.join(' | ')}`);
  }
}

async function invariance(engine: InferenceEngine, file: string, names: string[], json: boolean): Promise<void> {
  const rows = readEvaluationFile(path.resolve(file));
  const report = await measureInvariance(enginePredictor(engine), rows, names);
  if (json) console.log(JSON.stringify({ file, invariance: report }));
  else console.log(formatInvariance(report, file));
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    {
      options: {
        model: { type: 'string' },
        data: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        invariance: { type: 'boolean', default: false },
        names: { type: 'string', default: 'report' },
      },
    },
    USAGE,
  );
  if (!values.model || !values.data?.length) throw new UlasanError('USAGE', USAGE);
  const engine = await InferenceEngine.load(path.resolve(values.model), { maxBatch: 256 });
  try {
    const names = values.invariance ? invarianceNames(values.names) : [];
    for (const file of values.data) {
      if (values.invariance) {
        await invariance(engine, file, names, values.json);
        continue;
      }
      let bar: Progress | null = null;
      const report = await evaluateFile(engine, file, (done, total) => {
        bar ??= progressBar(`evaluating ${path.basename(file)}`, total, 'rows');
        bar.update(done);
      });
      (bar as Progress | null)?.stop();
      if (values.json) console.log(JSON.stringify(report));
      else printHuman(report);
    }
  } finally {
    await engine.close();
  }
}

main().catch((err: unknown) => {
  exitOnUsageError('evaluate', err);
  console.error(isUlasanError(err) ? `evaluate: ${err.code}: ${err.message}` : err);
  process.exit(1);
});
