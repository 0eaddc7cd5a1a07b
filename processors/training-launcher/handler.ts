// Pure logic of the training launcher: coalescing requests, assembling the data set, the gates.
import { createHash } from 'node:crypto';
import type { RetrainRequest, TrainingRun } from '../../schemas/types.generated.js';
import { SENTIMENTS } from '../../models/core/package.js';
import {
  assemble,
  readEvaluationSets,
  type AssembledData,
  type FeedbackRow,
  type Manifest,
} from '../../models/trainer/manifest.js';

export interface GateConfig {
  /** Register as Staging only at or above this validation accuracy. */
  registerAccuracy: number;
  /** Promote only above this accuracy ... */
  promoteAccuracy: number;
  /** ... and when not worse than Production on the same validation set by more than this. */
  promoteMargin: number;
}

export interface GateDecision {
  register: boolean;
  promote: boolean;
  reason: string;
}

export function decideGates(candidateAccuracy: number, productionAccuracy: number | null, g: GateConfig): GateDecision {
  const acc = candidateAccuracy.toFixed(4);
  if (!(candidateAccuracy >= g.registerAccuracy)) {
    return {
      register: false,
      promote: false,
      reason: `not registered: validation accuracy ${acc} < ${g.registerAccuracy}`,
    };
  }
  if (!(candidateAccuracy > g.promoteAccuracy)) {
    return {
      register: true,
      promote: false,
      reason: `stays Staging: validation accuracy ${acc} is not > ${g.promoteAccuracy}`,
    };
  }
  if (productionAccuracy !== null && candidateAccuracy < productionAccuracy - g.promoteMargin) {
    return {
      register: true,
      promote: false,
      reason: `stays Staging: accuracy ${acc} is worse than Production's ${productionAccuracy.toFixed(4)} on the same validation set by more than ${g.promoteMargin}`,
    };
  }
  return {
    register: true,
    promote: true,
    reason: `promoted: accuracy ${acc} > ${g.promoteAccuracy}${productionAccuracy !== null ? ` and within ${g.promoteMargin} of Production's ${productionAccuracy.toFixed(4)}` : ' (no Production yet)'}`,
  };
}

export interface DistillGateConfig {
  /** The least share of validation rows on which the student picks its teacher's sentiment. */
  minAgreement: number;
  /** How much less accurate than its teacher the student may be on the same rows. */
  margin: number;
}

/**
 * A distilled student is judged against its teacher first (agreement, and accuracy within the
 * margin of the teacher's on the same validation rows), then by the usual gates.
 */
export function decideDistillGates(
  student: { accuracy: number; agreement: number | null },
  teacherAccuracy: number | null,
  productionAccuracy: number | null,
  g: GateConfig & DistillGateConfig,
): GateDecision {
  const no = (reason: string): GateDecision => ({ register: false, promote: false, reason });
  if (student.agreement === null || teacherAccuracy === null)
    return no('not registered: the job reported no agreement with its teacher (teacher_agreement, teacher_accuracy)');
  const agree = student.agreement.toFixed(4);
  if (!(student.agreement >= g.minAgreement))
    return no(
      `not registered: the student agrees with its teacher on ${agree} of the validation rows < ${g.minAgreement}`,
    );
  if (student.accuracy < teacherAccuracy - g.margin) {
    return no(
      `not registered: accuracy ${student.accuracy.toFixed(4)} is below the teacher's ${teacherAccuracy.toFixed(4)} by more than ${g.margin}`,
    );
  }
  const gate = decideGates(student.accuracy, productionAccuracy, g);
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

/**
 * The manifest's sources plus feedback (merged by the manifest's feedback policy, evaluation texts
 * refused), optionally cut to the first `limit` rows; the validation rows are the manifest's
 * evaluation sets, so a candidate and Production are compared on the same held-out data.
 */
export function launcherDataset(
  manifest: Manifest,
  dataDir: string,
  feedback: LabelledText[],
  limit?: number,
): {
  train: (LabelledText & { weight: number })[];
  valid: LabelledText[];
  hash: string;
  sources: AssembledData['sources'];
} {
  const fb = feedback.filter((f): f is FeedbackRow => (SENTIMENTS as readonly string[]).includes(f.label));
  const data = assemble(manifest, dataDir, fb);
  const rows = limit !== undefined ? data.rows.slice(0, limit) : data.rows;
  const train = rows.map((r) => ({ text: r.text, label: r.label, weight: r.weight }));
  const valid = readEvaluationSets(manifest, dataDir).flatMap((s) =>
    s.rows.map((r) => ({ text: r.text, label: r.label! })),
  );
  const hash = createHash('sha256')
    .update(data.hash)
    .update(String(limit ?? 'all'))
    .digest('hex');
  return { train, valid, hash, sources: data.sources };
}

type History = { epoch: number; train_loss: number; dev_macro_f1: number }[][];

/** A finished run's metrics as flat keys (ClickHouse keeps them): headline, curve, confusion. */
export function runMetrics(
  pkgMetrics: Record<string, unknown>,
  productionAccuracy: number | null,
  seconds: number,
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
  for (const key of ['teacher_agreement', 'teacher_accuracy', 'teacher_macro_f1']) {
    if (typeof pkgMetrics[key] === 'number') metrics[key] = pkgMetrics[key];
  }
  return metrics;
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
