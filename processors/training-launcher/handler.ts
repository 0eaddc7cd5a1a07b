// Pure logic of the training launcher: coalescing requests, assembling the data set, the gates.
import { createHash } from 'node:crypto';
import type { RetrainRequest } from '../../schemas/types.generated.js';
import { stratifiedSplit } from '../../models/trainer/train.js';

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
 * Base data plus feedback, de-duplicated by normalised text (feedback wins: it is the newer truth),
 * then a stratified validation split seeded by the run, so a re-run sees the same split.
 */
export function assembleDataset(base: LabelledText[], feedback: LabelledText[], seedText: string, validFraction = 0.1, limit?: number): { train: LabelledText[]; valid: LabelledText[]; hash: string } {
  const byText = new Map<string, LabelledText>();
  for (const r of [...base, ...feedback]) byText.set(r.text.trim().toLowerCase(), r);
  let rows = [...byText.values()];
  if (limit !== undefined) rows = rows.slice(0, limit);
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  const seed = createHash('sha256').update(seedText).digest().readUInt32BE(0);
  const { train, held } = stratifiedSplit(rows.map((r) => ({ ...r, label: labels.indexOf(r.label), original: r.label })), validFraction, seed);
  const back = (xs: { text: string; original: string }[]) => xs.map((x) => ({ text: x.text, label: x.original }));
  const hash = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  return { train: back(train), valid: back(held), hash };
}
