// The promotion gate's inputs: the candidate, Production and the last N Production versions scored
// by the serving engine (what is measured is what is served) on the launcher's validation rows, and
// their per-row predictions written next to the run's report (row index, source, label and each
// model's probabilities; no texts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { InferenceEngine } from '../../models/core/engine.js';
import { loadPackage, SENTIMENTS } from '../../models/core/package.js';
import { predictProbs } from '../../models/trainer/evaluate.js';
import type { ModelVersionEvent } from '../../schemas/types.generated.js';
import { verifiedArtifactDir } from '../../models/serving/artifact.js';
import type { RegistryState } from '../../platform/registry/state.js';
import type { GateInput, HistoryRef } from './gate.js';
import { scoredOf } from './gate-stats.js';
import { INVARIANCE_KEYS, type ValidationRow } from './handler.js';

/** Probabilities per row, kept per package content and validation set for the launcher's life. */
export type ScoreCache = Map<string, number[][]>;

/** The first 48 bits of the validation rows' sha256 as a number (registry metrics are doubles). */
export const validFingerprint = (validHash: string): number => parseInt(validHash.slice(0, 12), 16);

async function scoreDir(dir: string, rows: readonly ValidationRow[]): Promise<number[][]> {
  const engine = await InferenceEngine.load(dir, { maxBatch: 256 });
  try {
    return await predictProbs(
      engine,
      rows.map((r) => r.text),
    );
  } finally {
    await engine.close();
  }
}

async function scoreVersion(
  v: ModelVersionEvent,
  artifactDir: string,
  rows: ValidationRow[],
  validHash: string,
  cache: ScoreCache,
): Promise<number[][]> {
  const key = `${v.content_hash}/${validHash}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const probs = await scoreDir(verifiedArtifactDir(v, artifactDir), rows);
  cache.set(key, probs);
  return probs;
}

/** The distinct versions most recently promoted to Production, newest promotion first, at most n. */
export function lastProductionVersions(state: RegistryState, name: string, n: number): ModelVersionEvent[] {
  const promotions = state
    .history(name)
    .filter((e) => e.stage === 'Production')
    .sort((a, b) => b.timestamp - a.timestamp);
  const seen = new Set<number>();
  const out: ModelVersionEvent[] = [];
  for (const e of promotions) {
    if (seen.has(e.version)) continue;
    seen.add(e.version);
    const v = state.version(name, e.version);
    if (v) out.push(v);
    if (out.length >= n) break;
  }
  return out;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const invarianceOf = (metrics: Record<string, unknown>): GateInput['invariance'] => ({
  shareShift: finite(metrics[INVARIANCE_KEYS[0]]),
  accuracyDrop: finite(metrics[INVARIANCE_KEYS[1]]),
});

const truthOf = (rows: readonly ValidationRow[]): number[] =>
  rows.map((r) => (SENTIMENTS as readonly string[]).indexOf(r.label));

export interface GateScoring {
  input: GateInput;
  /** Per-row probabilities by model ("candidate", "v3", ...), for the run's gate-rows.csv. */
  probs: Record<string, number[][]>;
}

/** Everything the gate reads, scored on `rows`. A version that cannot be loaded is a reason, not a crash. */
export async function gateScoring(o: {
  candidateDir: string;
  candidateMetrics: Record<string, unknown>;
  state: RegistryState;
  name: string;
  ratchetVersions: number;
  artifactDir: string;
  rows: ValidationRow[];
  validHash: string;
  cache: ScoreCache;
}): Promise<GateScoring> {
  const truth = truthOf(o.rows);
  const probs: Record<string, number[][]> = { candidate: await scoreDir(o.candidateDir, o.rows) };
  const prod = o.state.production(o.name) ?? null;
  let production: GateInput['production'] = null;
  if (prod) {
    // Production must be re-scored: without its predictions on these rows nothing can be compared.
    probs[`v${prod.version}`] = await scoreVersion(prod, o.artifactDir, o.rows, o.validHash, o.cache);
    production = { version: prod.version, scored: scoredOf(probs[`v${prod.version}`]!) };
  }
  const history: HistoryRef[] = [];
  for (const v of lastProductionVersions(o.state, o.name, o.ratchetVersions)) {
    try {
      probs[`v${v.version}`] ??= await scoreVersion(v, o.artifactDir, o.rows, o.validHash, o.cache);
      history.push({ version: v.version, scored: scoredOf(probs[`v${v.version}`]!) });
    } catch (err) {
      history.push(recordedRef(v, o.validHash, (err as Error).message));
    }
  }
  const invariance = invarianceOf(o.candidateMetrics);
  return {
    input: {
      truth,
      segments: o.rows.map((r) => [`source:${r.source}`]),
      ...{ production, history },
      invariance,
      candidate: scoredOf(probs.candidate!),
    },
    probs,
  };
}

/**
 * The gate's input for package directories instead of registry versions (`npm run gate:check`): the
 * candidate against `productionDir`, the ratchet over `productionDir` and `historyDirs`, each named by
 * its directory in the checks. The same rows, segments and invariance metrics as a launcher run.
 */
export async function packageGateScoring(o: {
  candidateDir: string;
  productionDir: string;
  historyDirs: readonly string[];
  rows: readonly ValidationRow[];
}): Promise<GateScoring> {
  const probs: Record<string, number[][]> = { candidate: await scoreDir(o.candidateDir, o.rows) };
  const refs = [o.productionDir, ...o.historyDirs].map((dir, i) => ({ version: i + 1, label: dir }));
  for (const r of refs) probs[`v${r.version}`] = await scoreDir(r.label, o.rows);
  const history: HistoryRef[] = refs.map((r) => ({ ...r, scored: scoredOf(probs[`v${r.version}`]!) }));
  return {
    input: {
      truth: truthOf(o.rows),
      segments: o.rows.map((r) => [`source:${r.source}`]),
      production: { ...refs[0]!, scored: history[0]!.scored! },
      history,
      invariance: invarianceOf(loadPackage(o.candidateDir).meta.metrics),
      candidate: scoredOf(probs.candidate!),
    },
    probs,
  };
}

/** A version whose package cannot be re-scored: the metrics its own gate recorded, on the same rows only. */
function recordedRef(v: ModelVersionEvent, validHash: string, why: string): HistoryRef {
  const m = v.metrics ?? {};
  const same = m.gate_valid_fingerprint === validFingerprint(validHash);
  const acc = finite(m.gate_candidate_accuracy);
  const f1 = finite(m.gate_candidate_macro_f1);
  if (same && acc !== null && f1 !== null) return { version: v.version, recorded: { accuracy: acc, macro_f1: f1 } };
  const recorded = same ? 'no recorded gate metrics' : 'no recorded metrics on this validation set';
  return { version: v.version, unavailable: `package not loadable (${why.slice(0, 120)}); ${recorded}` };
}

/** Per-row predictions of every model the gate read, as CSV (no texts). */
export function writeGateRows(file: string, rows: ValidationRow[], probs: Record<string, number[][]>): void {
  const models = Object.keys(probs);
  const header = ['row', 'source', 'label', ...models.flatMap((m) => SENTIMENTS.map((s) => `${m}_${s}`))];
  const lines = rows.map((r, i) =>
    [i, r.source, r.label, ...models.flatMap((m) => probs[m]![i]!.map((p) => p.toFixed(6)))].join(','),
  );
  writeFileSync(file, [header.join(','), ...lines].join('\n') + '\n');
}

export const GATE_ROWS_FILE = (dir: string): string => path.join(dir, 'gate-rows.csv');
