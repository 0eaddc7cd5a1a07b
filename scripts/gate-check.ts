// npm run gate:check -- --candidate <package dir> --production <package dir> [--history <dir> ...]
//                       [--data <file> ...] [--json]
// The promotion gate, run on two package directories instead of a retrain: would the launcher promote
// `candidate` over `production`? The same rule, settings (LAUNCHER_GATE_*, LAUNCHER_PROMOTE_MARGIN from
// the environment, or their defaults), rows and segments as a launcher run: the candidate's manifest
// evaluation sets (or each --data file, its file name the segment), scored by the serving engine.
// `--history` adds earlier Production packages to the ratchet. Beside each source's checks it prints the
// row-by-row view (verdicts changed, right only one side, McNemar's exact p), which on a 97-row set says
// more than the bootstrap's decimals. Exit status: 0 promoted, 1 stays Staging or not registered, 2 usage.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../platform/config.js';
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { isUlasanError, UlasanError } from '../platform/errors.js';
import { readEvaluationFile } from '../models/trainer/evaluate.js';
import { readManifest } from '../models/trainer/manifest.js';
import { parseLauncherConfig } from '../processors/training-launcher/config.js';
import { decidePromotion, describeCheck, type GateDecision } from '../processors/training-launcher/gate.js';
import { packageGateScoring, type GateScoring } from '../processors/training-launcher/gate-scoring.js';
import { pairedAgreement, type PairedAgreement } from '../processors/training-launcher/gate-stats.js';
import { gateSettings } from '../processors/training-launcher/run.js';
import { validationRows, type ValidationRow } from '../processors/training-launcher/handler.js';

const USAGE =
  'usage: npm run gate:check -- --candidate <package dir> --production <package dir> ' +
  '[--history <package dir> ...] [--data <file> ...] [--json]';

/** The rows a launcher run of the candidate's manifest would gate on, or the given files. */
export function gateRows(candidateDir: string, dataFiles: readonly string[]): ValidationRow[] {
  if (dataFiles.length) {
    const sources = dataFiles.map((f) => path.basename(f).replace(/\.[^.]+$/, ''));
    // Two files named alike would merge into one segment, and the segment's own check with them.
    const twice = sources.find((s, i) => sources.indexOf(s) !== i);
    if (twice) {
      throw new UlasanError('USAGE', `two --data files are named ${twice}: each file is a segment, rename one`);
    }
    return dataFiles.flatMap((f, i) => readEvaluationFile(path.resolve(f)).map((r) => ({ ...r, source: sources[i]! })));
  }
  // The build copies its manifest into the package (pipeline.ts): its evaluation sets are the gate's rows.
  const file = path.join(candidateDir, 'data-manifest.json');
  const manifest = existsSync(file) ? readManifest(file) : null;
  if (!manifest?.evaluation.length) {
    throw new UlasanError('USAGE', `${candidateDir} has no data-manifest.json with evaluation sets: pass --data`);
  }
  return validationRows(manifest, parseConfig({}).ULASAN_DATA_DIR);
}

export interface Agreement {
  all: PairedAgreement;
  by_source: Record<string, PairedAgreement>;
}

/** On all rows and per source, where the two models' verdicts differ. */
export function agreementBySource(scoring: GateScoring, rows: readonly ValidationRow[]): Agreement {
  const { truth, candidate, production } = scoring.input;
  const agree = (idx: number[]): PairedAgreement => pairedAgreement(truth, candidate, production!.scored, idx);
  const bySource: Record<string, number[]> = {};
  rows.forEach((r, i) => (bySource[r.source] ??= []).push(i));
  return {
    all: agree(rows.map((_, i) => i)),
    by_source: Object.fromEntries(Object.entries(bySource).map(([s, idx]) => [s, agree(idx)])),
  };
}

function printHuman(d: GateDecision, agreement: Agreement, confidence: number): void {
  const stats = (s: GateDecision['candidate']): string =>
    `accuracy ${s.accuracy.toFixed(4)}  macro-F1 ${s.macro_f1.toFixed(4)}  ECE ${s.ece.toFixed(4)}`;
  console.log(`candidate   ${stats(d.candidate)}\nproduction  ${stats(d.production!)}`);
  for (const c of d.checks) console.log(`  ${c.outcome.padEnd(12)} ${describeCheck(c, confidence)}`);
  console.log('row by row (candidate vs production):');
  for (const [source, a] of [['all rows', agreement.all] as const, ...Object.entries(agreement.by_source)]) {
    console.log(
      `  ${source.padEnd(16)} ${String(a.rows).padStart(6)} rows  ${a.changed} verdicts changed, right only ` +
        `candidate ${a.onlyCandidate} / only production ${a.onlyReference}, McNemar exact p ${a.mcnemarP.toFixed(3)}`,
    );
  }
  console.log(`\n${d.promote ? 'PROMOTE' : 'NO PROMOTION'}: ${d.reason}`);
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    {
      options: {
        candidate: { type: 'string' },
        production: { type: 'string' },
        history: { type: 'string', multiple: true, default: [] },
        data: { type: 'string', multiple: true, default: [] },
        json: { type: 'boolean', default: false },
      },
    },
    USAGE,
  );
  if (!values.candidate || !values.production) throw new UlasanError('USAGE', USAGE);
  const settings = gateSettings(parseLauncherConfig(process.env));
  const rows = gateRows(values.candidate, values.data);
  const scoring = await packageGateScoring({
    candidateDir: values.candidate,
    productionDir: values.production,
    historyDirs: values.history,
    rows,
  });
  const decision = decidePromotion(scoring.input, settings);
  const agreement = agreementBySource(scoring, rows);
  if (values.json) console.log(JSON.stringify({ rows: rows.length, settings, ...decision, agreement }));
  else printHuman(decision, agreement, settings.confidence);
  process.exitCode = decision.promote ? 0 : 1;
}

main().catch((err: unknown) => {
  exitOnUsageError('gate:check', err);
  console.error(isUlasanError(err) ? `gate:check: ${err.code}: ${err.message}` : err);
  process.exit(2);
});
