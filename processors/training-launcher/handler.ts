// Pure logic of the training launcher: coalescing requests, assembling the data set, the teacher gate
// (the promotion gate is gate.ts).
import { createHash } from 'node:crypto';
import type { RetrainRequest, TrainingRun } from '../../schemas/types.generated.js';
import { SENTIMENTS } from '../../models/core/package.js';
import { rng } from '../../models/core/random.js';
import {
  assemble,
  readEvaluationSets,
  type AssembledData,
  type FeedbackRow,
  type Manifest,
} from '../../models/trainer/manifest.js';

export interface DistillGateConfig {
  /** The least share of validation rows on which the student picks its teacher's sentiment. */
  minAgreement: number;
  /** How much less accurate than its teacher the student may be on the same rows. */
  margin: number;
}

export interface GateOutcome {
  register: boolean;
  promote: boolean;
  reason: string;
}

/**
 * A distilled student is judged against its teacher first (agreement, and accuracy within the
 * margin of the teacher's on the same validation rows, as the job reports them), then by the
 * promotion gate (`gate`, decided on the launcher's own scoring of the student).
 */
export function decideDistillGates(
  student: { accuracy: number; agreement: number | null },
  teacherAccuracy: number | null,
  gate: GateOutcome,
  g: DistillGateConfig,
): GateOutcome {
  const no = (reason: string): GateOutcome => ({ register: false, promote: false, reason });
  if (student.agreement === null || teacherAccuracy === null)
    return no('not registered: the job reported no agreement with its teacher (teacher_agreement, teacher_accuracy)');
  const agree = student.agreement.toFixed(4);
  if (!(student.agreement >= g.minAgreement))
    return no(
      `not registered: the student agrees with its teacher on ${agree} of the validation rows < ${g.minAgreement}`,
    );
  if (student.accuracy < teacherAccuracy - g.margin) {
    return no(
      `not registered: accuracy ${student.accuracy.toFixed(4)} is below the teacher's ` +
        `${teacherAccuracy.toFixed(4)} by more than ${g.margin}`,
    );
  }
  const vsTeacher = `agreement with teacher ${agree}, teacher accuracy ${teacherAccuracy.toFixed(4)}`;
  return { ...gate, reason: `${gate.reason}; ${vsTeacher}` };
}

/** Requests that arrive while a job runs merge into one pending request with every reason. */
export function coalesce(pending: RetrainRequest | null, incoming: RetrainRequest): RetrainRequest {
  if (!pending) return incoming;
  return {
    ...pending,
    request_id: pending.request_id,
    reasons: [...new Set([...pending.reasons, ...incoming.reasons])],
    details: {
      ...pending.details,
      ...incoming.details,
      coalesced: [pending.details?.coalesced, incoming.request_id].filter(Boolean).join(','),
    },
    force: pending.force || incoming.force,
    requested_at: Math.min(pending.requested_at, incoming.requested_at),
  };
}

export interface LabelledText {
  text: string;
  label: string;
}

/** A validation row with the evaluation set it came from (the gate's `source:` segment). */
export interface ValidationRow extends LabelledText {
  source: string;
}

/** Seed of the `limit` sample: the same data and limit always give the same rows. */
const LIMIT_SEED = 28;

/**
 * At most `limit` rows with every source in its own proportion (largest remainder), each source's
 * share drawn by a seeded shuffle and kept in file order. The first `limit` rows were a cut of the
 * first source alone (4,000 rows of the default manifest are all SmSA): a transformer fine-tuned on
 * them had never read an app review, and labelled 92 % of the stored reviews negative when it was
 * distilled, so its student learned one class (accuracy 0.32).
 */
export function proportionalSample<T extends { source: string }>(rows: readonly T[], limit: number): T[] {
  if (limit >= rows.length) return [...rows];
  const bySource = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const list = bySource.get(r.source);
    if (list) list.push(i);
    else bySource.set(r.source, [i]);
  });
  const groups = [...bySource.values()];
  const exact = groups.map((g) => (g.length * limit) / rows.length);
  const quota = exact.map(Math.floor);
  const byRemainder = exact.map((e, k) => [e - quota[k]!, k] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let left = limit - quota.reduce((a, b) => a + b, 0), j = 0; left > 0; left--, j++)
    quota[byRemainder[j]![1]]! += 1;
  const random = rng(LIMIT_SEED);
  const kept: number[] = [];
  groups.forEach((g, k) => {
    const order = [...g];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    kept.push(...order.slice(0, quota[k]));
  });
  return kept.sort((a, b) => a - b).map((i) => rows[i]!);
}

/** The manifest's evaluation sets as the gate's rows, each with its set's name as the source. */
export function validationRows(manifest: Manifest, dataDir: string): ValidationRow[] {
  return readEvaluationSets(manifest, dataDir).flatMap((s) =>
    s.rows.map((r) => ({ text: r.text, label: r.label!, source: s.name })),
  );
}

/**
 * The manifest's sources plus feedback (merged by the manifest's feedback policy, evaluation texts
 * refused), optionally cut to `limit` rows in the sources' proportions; the validation rows are the manifest's
 * evaluation sets, so a candidate and Production are compared on the same held-out data.
 */
export function launcherDataset(
  manifest: Manifest,
  dataDir: string,
  feedback: LabelledText[],
  limit?: number,
): {
  train: (LabelledText & { weight: number })[];
  valid: ValidationRow[];
  hash: string;
  /** sha256 of the validation rows (text, label, source): equal hash, the same gate rows. */
  validHash: string;
  sources: AssembledData['sources'];
} {
  const fb = feedback.filter((f): f is FeedbackRow => (SENTIMENTS as readonly string[]).includes(f.label));
  const data = assemble(manifest, dataDir, fb);
  const rows = limit !== undefined ? proportionalSample(data.rows, limit) : data.rows;
  const train = rows.map((r) => ({ text: r.text, label: r.label, weight: r.weight }));
  const valid = validationRows(manifest, dataDir);
  const hash = createHash('sha256')
    .update(data.hash)
    .update(limit === undefined ? 'all' : `proportional sample of ${limit}`)
    .digest('hex');
  const validHash = createHash('sha256').update(JSON.stringify(valid)).digest('hex');
  return { train, valid, hash, validHash, sources: data.sources };
}

/** Name-invariance metrics a package may report (fractions 0-1); the gate bounds them when present. */
export const INVARIANCE_KEYS = ['invariance_worst_share_shift', 'invariance_worst_accuracy_drop'] as const;

type History = { epoch: number; train_loss: number; dev_macro_f1: number }[][];

/** A finished run's metrics as flat keys (ClickHouse keeps them): headline, curve, confusion. */
export function runMetrics(
  pkgMetrics: Record<string, unknown>,
  productionAccuracy: number | null,
  seconds: number,
  gate: Record<string, number> = {},
): Record<string, number> {
  const metrics: Record<string, number> = {
    accuracy: Number(pkgMetrics.accuracy),
    macro_f1: Number(pkgMetrics.macro_f1),
    ece: Number(pkgMetrics.ece),
    duration_seconds: seconds,
  };
  for (const e of ((pkgMetrics.history ?? []) as History)[0] ?? []) {
    const n = String(e.epoch).padStart(2, '0');
    metrics[`epoch_${n}_train_loss`] = e.train_loss;
    metrics[`epoch_${n}_dev_macro_f1`] = e.dev_macro_f1;
  }
  ((pkgMetrics.confusion_matrix ?? []) as number[][]).forEach((row, i) =>
    row.forEach((v, j) => (metrics[`cm_${SENTIMENTS[i]}_${SENTIMENTS[j]}`] = v)),
  );
  if (productionAccuracy !== null) metrics.production_accuracy_same_valid = productionAccuracy;
  for (const key of ['teacher_agreement', 'teacher_accuracy', 'teacher_macro_f1', ...INVARIANCE_KEYS]) {
    if (typeof pkgMetrics[key] === 'number') metrics[key] = pkgMetrics[key];
  }
  return { ...metrics, ...gate };
}

/** The request that re-runs an interrupted run once (attempt 2), or null when it must not. */
export function retryOf(
  r: TrainingRun,
  registeredVersion: number | null,
  by: string,
): { req: RetrainRequest; attempt: number } | null {
  const attempt = Number(r.params?.attempt ?? 1);
  if (registeredVersion !== null || attempt >= 2) return null;
  const details = {
    retry_of: r.run_id,
    ...(r.params?.train_limit ? { train_limit: r.params.train_limit } : {}),
    // A manual run's own manifest stays with its retry, and so does a distillation's teacher.
    ...(r.params?.manifest ? { manifest: r.params.manifest } : {}),
    ...(r.params?.job === 'distill' ? { job: 'distill', teacher: r.params.teacher ?? '' } : {}),
    ...(r.params?.unlabeled_rows ? { unlabeled_rows: r.params.unlabeled_rows } : {}),
  };
  const reasons = (r.params?.reasons ?? 'manual').split(',') as RetrainRequest['reasons'];
  const req: RetrainRequest = {
    request_id: r.request_id ?? r.run_id,
    model_name: r.model_name,
    reasons,
    details,
    requested_by: by,
    force: true,
    requested_at: r.event_time,
  };
  return { req, attempt: attempt + 1 };
}
