// Pure logic of the training launcher: coalescing requests, assembling the data set, the gates.
import { createHash } from 'node:crypto';
import type { RetrainRequest } from '../../schemas/types.generated.js';
import { SENTIMENTS } from '../../models/core/package.js';
import { assemble, readEvaluationSets, type AssembledData, type FeedbackRow, type Manifest } from '../../models/trainer/manifest.js';

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
    return { register: false, promote: false, reason: `not registered: validation accuracy ${acc} < ${g.registerAccuracy}` };
  }
  if (!(candidateAccuracy > g.promoteAccuracy)) {
    return { register: true, promote: false, reason: `stays Staging: validation accuracy ${acc} is not > ${g.promoteAccuracy}` };
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

/** Requests that arrive while a job runs merge into one pending request with every reason. */
export function coalesce(pending: RetrainRequest | null, incoming: RetrainRequest): RetrainRequest {
  if (!pending) return incoming;
  return {
    ...pending,
    request_id: pending.request_id,
    reasons: [...new Set([...pending.reasons, ...incoming.reasons])],
    details: { ...pending.details, ...incoming.details, coalesced: [pending.details?.coalesced, incoming.request_id].filter(Boolean).join(',') },
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
): { train: (LabelledText & { weight: number })[]; valid: LabelledText[]; hash: string; sources: AssembledData['sources'] } {
  const fb = feedback.filter((f): f is FeedbackRow => (SENTIMENTS as readonly string[]).includes(f.label));
  const data = assemble(manifest, dataDir, fb);
  const rows = limit !== undefined ? data.rows.slice(0, limit) : data.rows;
  const train = rows.map((r) => ({ text: r.text, label: r.label, weight: r.weight }));
  const valid = readEvaluationSets(manifest, dataDir).flatMap((s) => s.rows.map((r) => ({ text: r.text, label: r.label! })));
  const hash = createHash('sha256').update(data.hash).update(String(limit ?? 'all')).digest('hex');
  return { train, valid, hash, sources: data.sources };
}
