// One training run, start to outcome: dataset from the manifest plus feedback, the job, the gates
// (candidate and Production scored on the same validation rows), registration and promotion, the
// report. A failed run is an outcome (a `failed` TrainingRun), never a crash.
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadPackage, SENTIMENTS, type ModelPackage } from '../../models/core/package.js';
import type { RetrainRequest, TrainingRun } from '../../schemas/types.generated.js';
import type { Context } from '../kit/context.js';
import type { Producer } from '../../platform/kafka/kafka.js';
import type { outageWaiter } from '../kit/kit.js';
import type { Logger } from '../../platform/logger.js';
import { verifiedArtifactDir } from '../../models/serving/artifact.js';
import { parseTeacherRef } from '../kit/retrain.js';
import { postWebhook } from './webhook.js';
import type { ModelRegistry } from '../../platform/registry/registry.js';
import type { LauncherConfig } from './config.js';
import { decidePromotion, gateMetrics, type GateDecision, type GateSettings } from './gate.js';
import { GATE_ROWS_FILE, gateScoring, validFingerprint, writeGateRows, type ScoreCache } from './gate-scoring.js';
import { decideDistillGates, launcherDataset, runMetrics, type GateOutcome, type LabelledText } from './handler.js';
import { readRunManifest } from './data-path.js';
import { jobLabel, launchJob } from './job.js';
import { confusionSvg, gateSvg, learningCurveSvg, runReportMarkdown } from './report.js';

export const NAME = 'training-launcher';

export interface LauncherDeps {
  ctx: Context;
  cfg: LauncherConfig;
  registry: ModelRegistry;
  producer: Producer;
  log: Logger;
  wait: ReturnType<typeof outageWaiter>;
  sha: string | null;
  onOutcome: (status: string) => void;
  setRunning: (running: boolean) => void;
}

const toJsonl = (rows: LabelledText[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export async function emitRun(d: LauncherDeps, r: TrainingRun): Promise<void> {
  const { ctx } = d;
  const value = await ctx.serde.encode(ctx.topics.trainingRuns, r);
  await d.wait('send training run', () =>
    d.producer.send({ topic: ctx.topics.trainingRuns, messages: [{ key: r.run_id, value }], acks: -1 }),
  );
}

async function notify(d: LauncherDeps, text: string): Promise<void> {
  if (!d.cfg.LAUNCHER_WEBHOOK_URL) return;
  // Slack-compatible incoming-webhook body; bounded in time and attempts so a run never hangs on it.
  const out = await postWebhook(
    d.cfg.LAUNCHER_WEBHOOK_URL,
    { text },
    { timeoutMs: d.cfg.LAUNCHER_WEBHOOK_TIMEOUT_MS, retries: d.cfg.LAUNCHER_WEBHOOK_RETRIES },
  );
  if (!out.ok) d.log.warn({ attempts: out.attempts, error: out.error }, 'webhook failed; run notification dropped');
}

async function feedbackRows(ctx: Context): Promise<LabelledText[]> {
  const db = ctx.store.database;
  return ctx.store.query<{ text: string; label: string }>(
    `SELECT r.text AS text, toString(f.true_label) AS label FROM ${db}.feedback AS f FINAL
     INNER JOIN (SELECT review_id, text FROM ${db}.reviews FINAL) AS r ON r.review_id = f.review_id`,
  );
}

/** The request's own manifest (a manual retrain with --data), else the launcher's. */
const manifestOf = (d: LauncherDeps, req: RetrainRequest): string => req.details?.manifest ?? d.cfg.LAUNCHER_MANIFEST;

async function prepareDataset(d: LauncherDeps, req: RetrainRequest, dir: string) {
  const fb = await d.wait('read feedback', () => feedbackRows(d.ctx));
  const limit = req.details?.train_limit ? Number(req.details.train_limit) : undefined;
  const dataDir = d.ctx.config.ULASAN_DATA_DIR;
  const manifest = readRunManifest(manifestOf(d, req), dataDir, d.cfg.LAUNCHER_MANIFEST);
  const ds = launcherDataset(manifest, dataDir, fb, limit);
  const files = { trainFile: path.join(dir, 'train.jsonl'), validFile: path.join(dir, 'valid.jsonl') };
  writeFileSync(files.trainFile, toJsonl(ds.train));
  writeFileSync(files.validFile, toJsonl(ds.valid));
  const summary = {
    manifest: manifestOf(d, req),
    feedback_query: 'feedback FINAL JOIN reviews FINAL ON review_id',
    feedback_rows: fb.length,
    train_rows: ds.train.length,
    valid_rows: ds.valid.length,
    sha256: ds.hash,
    sources: ds.sources,
  };
  writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify(summary, null, 2));
  return { ds, ...files };
}

interface Teacher {
  dir: string;
  /** `<model> v<version>`, for the run's params and reasons. */
  label: string;
}

/** A distillation request's teacher: a registry version, loaded only from its verified artifact. */
async function teacherOf(d: LauncherDeps, req: RetrainRequest): Promise<Teacher | null> {
  if (req.details?.job !== 'distill') return null;
  if (!req.details.teacher) throw new Error('a distill request needs details.teacher (<model>@<version|stage>)');
  const ref = parseTeacherRef(req.details.teacher);
  await d.registry.refresh();
  const v =
    'version' in ref
      ? d.registry.state.version(ref.model, ref.version)
      : d.registry.state.current(ref.model, ref.stage);
  if (!v) throw new Error(`teacher ${req.details.teacher}: no such version in the registry`);
  return { dir: verifiedArtifactDir(v, d.ctx.config.ULASAN_ARTIFACT_DIR), label: `${v.name} v${v.version}` };
}

/** The newest stored reviews' texts (the reviews table, which the runner's embedded ClickHouse holds). */
async function unlabeledFile(
  d: LauncherDeps,
  req: RetrainRequest,
  dir: string,
): Promise<{ file: string; source: string }> {
  const n = Number(req.details?.unlabeled_rows ?? d.cfg.LAUNCHER_DISTILL_UNLABELED_ROWS);
  if (!Number.isInteger(n) || n < 1) throw new Error(`unlabeled_rows must be a positive integer (got ${n})`);
  const db = d.ctx.store.database;
  const rows = await d.wait('read unlabeled reviews', () =>
    d.ctx.store.query<{ text: string }>(
      `SELECT text FROM ${db}.reviews FINAL ORDER BY created_at DESC, review_id LIMIT {n:UInt32}`,
      { n },
    ),
  );
  if (!rows.length) throw new Error('no stored reviews to distil on (the reviews table is empty)');
  const file = path.join(dir, 'unlabeled.jsonl');
  writeFileSync(file, rows.map((r) => JSON.stringify({ text: r.text })).join('\n') + '\n');
  return { file, source: `clickhouse:reviews (newest ${rows.length} of at most ${n})` };
}

/** Re-scored versions' predictions (by content hash and validation set), kept for the process's life. */
const scoreCache: ScoreCache = new Map();

type Dataset = Awaited<ReturnType<typeof prepareDataset>>['ds'];

interface Gated {
  gate: GateOutcome;
  decision: GateDecision;
  /** The gate's numbers as flat metrics: the registry version's, the run's. */
  numbers: Record<string, number>;
}

/**
 * The promotion gate on the launcher's own scoring: the candidate, Production and the last N
 * Production versions predict the validation rows; a distilled student meets its teacher first.
 */
async function gateCandidate(
  d: LauncherDeps,
  ds: Dataset,
  pkg: ModelPackage,
  teacher: Teacher | null,
  dir: string,
): Promise<Gated> {
  const { cfg } = d;
  await d.registry.refresh();
  const scoring = await gateScoring({
    candidateDir: pkg.dir,
    candidateMetrics: pkg.meta.metrics,
    state: d.registry.state,
    name: cfg.LAUNCHER_MODEL_NAME,
    ratchetVersions: cfg.LAUNCHER_GATE_RATCHET_VERSIONS,
    artifactDir: d.ctx.config.ULASAN_ARTIFACT_DIR,
    rows: ds.valid,
    validHash: ds.validHash,
    cache: scoreCache,
  });
  if (scoreCache.size > 64) scoreCache.delete(scoreCache.keys().next().value!);
  writeGateRows(GATE_ROWS_FILE(dir), ds.valid, scoring.probs);
  const decision = decidePromotion(scoring.input, gateSettings(cfg));
  const numbers = gateMetrics(decision, {
    gate_valid_fingerprint: validFingerprint(ds.validHash),
    gate_valid_rows: ds.valid.length,
  });
  if (!teacher) return { gate: decision, decision, numbers };
  const numberOr = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const m = pkg.meta.metrics;
  const student = { accuracy: decision.candidate.accuracy, agreement: numberOr(m.teacher_agreement) };
  const distilled = decideDistillGates(student, numberOr(m.teacher_accuracy), decision, {
    minAgreement: cfg.LAUNCHER_DISTILL_MIN_AGREEMENT,
    margin: cfg.LAUNCHER_DISTILL_MARGIN,
  });
  return { gate: { ...distilled, reason: `${distilled.reason} (teacher ${teacher.label})` }, decision, numbers };
}

/** The gate's settings from the launcher's configuration (also `npm run gate:check`'s). */
export function gateSettings(cfg: LauncherConfig): GateSettings {
  return {
    registerAccuracy: cfg.LAUNCHER_GATE_REGISTER,
    promoteAccuracy: cfg.LAUNCHER_GATE_PROMOTE,
    margin: cfg.LAUNCHER_PROMOTE_MARGIN,
    confidence: cfg.LAUNCHER_GATE_CONFIDENCE,
    resamples: cfg.LAUNCHER_GATE_RESAMPLES,
    seed: cfg.LAUNCHER_GATE_SEED,
    segmentMargin: cfg.LAUNCHER_GATE_SEGMENT_MARGIN,
    segmentMinRows: cfg.LAUNCHER_GATE_SEGMENT_MIN_ROWS,
    eceMargin: cfg.LAUNCHER_GATE_ECE_MARGIN,
    invarianceMaxShift: cfg.LAUNCHER_GATE_INVARIANCE_MAX_SHIFT,
    invarianceMaxDrop: cfg.LAUNCHER_GATE_INVARIANCE_MAX_DROP,
  };
}

/** Registers a candidate that passed the floor (Staging, with the gate's numbers) and promotes it if it passed all. */
async function registerAndPromote(
  d: LauncherDeps,
  req: RetrainRequest,
  runId: string,
  outDir: string,
  g: Gated,
): Promise<number | null> {
  const { cfg } = d;
  if (!g.gate.register) return null;
  const reg = await d.registry.register({
    name: cfg.LAUNCHER_MODEL_NAME,
    packageDir: outDir,
    runId,
    reason: g.gate.reason,
    actor: NAME,
    metrics: g.numbers,
  });
  const version = reg.event.version;
  if (g.gate.promote) {
    await d.registry.promote(cfg.LAUNCHER_MODEL_NAME, version, g.gate.reason, NAME);
    await notify(
      d,
      `Ulasan: ${cfg.LAUNCHER_MODEL_NAME} v${version} promoted to Production ` +
        `(${g.gate.reason}; reasons: ${req.reasons.join(', ')})`,
    );
  }
  return version;
}

async function trainAndGate(
  d: LauncherDeps,
  req: RetrainRequest,
  base: TrainingRun,
  dir: string,
  t0: number,
): Promise<TrainingRun> {
  const { cfg } = d;
  const teacher = await teacherOf(d, req);
  const { ds, trainFile, validFile } = await prepareDataset(d, req, dir);
  const outDir = path.join(dir, 'package');
  const unlabeled = teacher ? await unlabeledFile(d, req, dir) : null;
  const distill =
    teacher && unlabeled ? { teacherDir: teacher.dir, unlabeledFile: unlabeled.file, ...unlabeled } : undefined;
  const code = await launchJob(cfg, { trainFile, validFile, outDir, runId: base.run_id, dir, distill });
  if (code !== 0) throw new Error(`training job exited with code ${code} (see ${dir}/job.log)`);
  const pkg = loadPackage(outDir);
  const gated = await gateCandidate(d, ds, pkg, teacher, dir);
  const version = await registerAndPromote(d, req, base.run_id, outDir, gated);
  const prodAcc = gated.decision.production?.accuracy ?? null;
  const metrics = runMetrics(pkg.meta.metrics, prodAcc, (Date.now() - t0) / 1000, gated.numbers);
  const outcome: TrainingRun = {
    ...base,
    params: { ...base.params, valid_sha256: ds.validHash },
    status: 'succeeded',
    dataset_hash: ds.hash,
    dataset_rows: ds.train.length + ds.valid.length,
    metrics,
    reason: gated.gate.reason,
    model_version: version,
    event_time: Date.now(),
  };
  const gateReport = {
    checks: gated.decision.checks,
    confidence: cfg.LAUNCHER_GATE_CONFIDENCE,
    validHash: ds.validHash,
  };
  writeReport(dir, outcome, pkg.meta.metrics, ds.train.length, ds.valid.length, gateReport);
  return outcome;
}

function writeReport(
  dir: string,
  run: TrainingRun,
  metrics: Record<string, unknown>,
  trainRows: number,
  validRows: number,
  gate: { checks: GateDecision['checks']; confidence: number; validHash: string },
): void {
  const history = (metrics.history ?? []) as { epoch: number; train_loss: number; dev_macro_f1: number }[][];
  const confusion = (metrics.confusion_matrix ?? []) as number[][];
  writeFileSync(path.join(dir, 'confusion.svg'), confusionSvg([...SENTIMENTS], confusion));
  writeFileSync(path.join(dir, 'learning-curve.svg'), learningCurveSvg(history));
  const title = `Promotion gate: ${run.reason ?? ''}`.slice(0, 160);
  writeFileSync(path.join(dir, 'gate.svg'), gateSvg(gate.checks, title));
  const report = runReportMarkdown({
    runId: run.run_id,
    modelName: run.model_name,
    status: run.status,
    reason: run.reason ?? '',
    params: run.params ?? {},
    datasetHash: run.dataset_hash ?? '',
    trainRows,
    validRows,
    gitSha: run.git_sha ?? null,
    seconds: Number(run.metrics?.duration_seconds ?? 0),
    metrics,
    labels: [...SENTIMENTS],
    confusion,
    history,
    modelVersion: run.model_version ?? null,
    gate: { ...gate, rows: validRows },
  });
  writeFileSync(path.join(dir, 'report.md'), report);
}

function startedRun(d: LauncherDeps, req: RetrainRequest, attempt: number): TrainingRun {
  const params: Record<string, string> = {
    request_id: req.request_id,
    reasons: req.reasons.join(','),
    attempt: String(attempt),
    command: jobLabel(d.cfg),
    job_args: d.cfg.LAUNCHER_JOB_ARGS,
    manifest: manifestOf(d, req),
    requested_by: req.requested_by,
    ...(req.details?.reason ? { request_reason: req.details.reason } : {}),
    ...(req.details?.train_limit ? { train_limit: req.details.train_limit } : {}),
    ...(req.details?.job === 'distill'
      ? { job: 'distill', teacher: req.details.teacher ?? '', unlabeled_rows: req.details.unlabeled_rows ?? '' }
      : {}),
  };
  const run = {
    run_id: randomUUID(),
    request_id: req.request_id,
    model_name: d.cfg.LAUNCHER_MODEL_NAME,
    status: 'started' as const,
    params,
  };
  return {
    ...run,
    dataset_hash: null,
    dataset_rows: null,
    git_sha: d.sha,
    metrics: {},
    reason: null,
    model_version: null,
    event_time: Date.now(),
  };
}

/**
 * Runs one request to its end. The request's offset is committed (`commit`) once its `started`
 * event is acknowledged; from then on every failure is the run's outcome.
 */
export async function runOnce(
  d: LauncherDeps,
  req: RetrainRequest,
  attempt: number,
  commit: () => Promise<void>,
): Promise<void> {
  const t0 = Date.now();
  const base = startedRun(d, req, attempt);
  const dir = path.join(d.cfg.LAUNCHER_WORK_DIR, base.run_id);
  mkdirSync(dir, { recursive: true });
  await emitRun(d, base);
  await commit();
  d.setRunning(true);
  let outcome: TrainingRun;
  try {
    outcome = await trainAndGate(d, req, base, dir, t0);
  } catch (err) {
    outcome = { ...base, status: 'failed', reason: (err as Error).message.slice(0, 1000), event_time: Date.now() };
    await notify(d, `Ulasan: training run ${base.run_id} for ${d.cfg.LAUNCHER_MODEL_NAME} failed: ${outcome.reason}`);
    d.log.error({ err, runId: base.run_id }, 'training run failed');
  }
  // Reports and job logs go next to the artifacts, keyed by run id.
  cpSync(dir, path.join(d.ctx.config.ULASAN_ARTIFACT_DIR, 'runs', base.run_id), {
    recursive: true,
    filter: (src) => !src.endsWith('.jsonl'),
  });
  await emitRun(d, outcome);
  d.onOutcome(outcome.status);
  d.setRunning(false);
  d.log.info(
    { runId: base.run_id, status: outcome.status, version: outcome.model_version, reason: outcome.reason },
    'training run finished',
  );
}
