// Pure parts of the trigger: the performance window from judged pairs, the drift streak, and the
// rows and messages a decision becomes.
import { SENTIMENTS } from '../../models/core/package.js';
import { evaluate as classificationMetrics } from '../../models/trainer/metrics.js';
import type { RetrainRequest } from '../../schemas/types.generated.js';
import { toDateTime64 } from '../../platform/time.js';
import type { SegmentWindow } from './queries.js';
import type { TriggerDecision } from './rules.js';

export function performance(pairs: { predicted: string; truth: string; n: string }[], minFeedback: number) {
  const truth: number[] = [];
  const probs: number[][] = [];
  for (const p of pairs) {
    for (let k = 0; k < Number(p.n); k++) {
      truth.push(SENTIMENTS.indexOf(p.truth as never));
      probs.push(SENTIMENTS.map((s) => (s === p.predicted ? 1 : 0)));
    }
  }
  const metrics = truth.length >= minFeedback ? classificationMetrics([...SENTIMENTS], truth, probs) : null;
  return { rows: truth.length, metrics };
}

/**
 * The segment with the longest run of drifted windows, newest first. A window whose only drifted
 * feature is a mix the model does not use (app_id, in the global view) does not count: a new app
 * in the scrapers is not a reason to retrain. With `production` set, only windows judged against
 * that version's reference count (the previous model's windows say nothing about the new one).
 * `labelMixOnly`: every window of the run drifted on label-mix features only (what people say
 * about the app changed; the texts and the model's confidence, its label-free performance
 * estimate, did not): the rules answer that with an alert, not a retrain.
 */
export function segmentStreak(
  rows: SegmentWindow[],
  production: string | null = null,
): {
  segment: string;
  consecutive: number;
  severity: number;
  features: string[];
  reason: string;
  labelMixOnly: boolean;
} | null {
  const bySegment = new Map<string, SegmentWindow[]>();
  for (const r of rows) {
    if (production !== null && r.reference_model_version !== production) continue;
    bySegment.set(r.segment, [...(bySegment.get(r.segment) ?? []), r]);
  }
  let best: ReturnType<typeof segmentStreak> = null;
  for (const [segment, windows] of bySegment) {
    const counts = (w: SegmentWindow): boolean =>
      Boolean(w.drifted) && w.drifted_features.some((f) => !IGNORED_ALONE.has(f));
    const consecutive = driftStreak(windows.map((w) => ({ drifted: counts(w) })));
    const latest = windows[0]!;
    const run = windows.slice(0, consecutive);
    const candidate = {
      segment,
      consecutive,
      severity: counts(latest) ? Number(latest.severity) : 0,
      features: latest.drifted_features,
      reason: latest.reason,
      labelMixOnly: run.length > 0 && run.every((w) => w.drifted_features.every((f) => LABEL_MIX.has(f))),
    };
    if (
      !best ||
      candidate.consecutive > best.consecutive ||
      (candidate.consecutive === best.consecutive && candidate.severity > best.severity)
    )
      best = candidate;
  }
  return best;
}

/** Features that never trigger a retrain on their own: the model does not read them. */
const IGNORED_ALONE = new Set(['app_id']);

/**
 * The mix of what reviews say (predicted labels, stars, apps), as opposed to how they are written
 * (text features) and how sure the model is (confidence). A shift in these alone is the world
 * changing under a model that still reads it well.
 */
export const LABEL_MIX = new Set(['predicted_label', 'rating_bucket', 'app_id']);

/** How many of the newest windows in a row were drifted. */
export function driftStreak(windows: { drifted: boolean | number }[]): number {
  let n = 0;
  for (const w of windows) {
    if (!w.drifted) break;
    n += 1;
  }
  return n;
}

export function decisionRow(
  d: TriggerDecision,
  requestId: string,
  model: string,
  by: string,
  now: number,
): Record<string, unknown> {
  return {
    request_id: d.fire ? requestId : '',
    model_name: model,
    decision: d.fire ? 'fired' : 'suppressed',
    reasons: d.reasons,
    detail: JSON.stringify(d.detail),
    requested_by: by,
    decided_at: toDateTime64(now),
  };
}

export function retrainRequest(
  d: TriggerDecision,
  requestId: string,
  model: string,
  by: string,
  now: number,
): RetrainRequest {
  return {
    request_id: requestId,
    model_name: model,
    reasons: d.reasons,
    details: d.detail,
    requested_by: by,
    force: false,
    requested_at: now,
  };
}
