// The five retrain triggers of the original system, as one pure decision. Every threshold is
// configurable; all reasons that fire go into one RetrainRequest; the 7-day minimum and the cooldown
// suppress (and say why) rather than drop silently.
import type { RetrainReason } from '../../schemas/types.generated.js';

export const DAY = 24 * 60 * 60 * 1000;

export interface TriggerConfig {
  /** time: retrain when the last training is at least this old. */
  maxDays: number;
  /** never within this many days of the last training unless the request is forced. */
  minDays: number;
  /** data: new labelled reviews since the last training. */
  newLabelled: number;
  /** feedback error rate strictly above this fires. */
  feedbackError: number;
  /** accuracy drop (validation accuracy minus live accuracy) strictly above this fires. */
  accuracyDrop: number;
  /** drift: this many consecutive drifted windows of one segment ... */
  driftConsecutive: number;
  /**
   * ... or, when set, one window with at least this share of features drifted (the seed's 0.5). Off
   * by default: one bad window is noise as often as news, and alarms must clear (K windows decide).
   */
  driftSeverity: number | null;
  /** no second request within this long after one fired. */
  cooldownMs: number;
}

export const DEFAULT_TRIGGERS: TriggerConfig = {
  maxDays: 30,
  minDays: 7,
  newLabelled: 500,
  feedbackError: 0.12,
  accuracyDrop: 0.03,
  driftConsecutive: 3,
  driftSeverity: null,
  cooldownMs: 6 * 60 * 60 * 1000,
};

export interface TriggerInputs {
  now: number;
  lastTrainingAt: number | null;
  newLabelledSinceTraining: number;
  /** null when the recent window has too little feedback to judge. */
  feedbackErrorRate: number | null;
  accuracyDrop: number | null;
  consecutiveDriftedWindows: number;
  /** Share of monitored features drifted in the latest window (0-1). */
  latestDriftSeverity: number;
  lastFiredAt: number | null;
  /**
   * The last request has no finished training run yet (being trained, or queued). Requesting again
   * would train the same data twice, and the model that is coming has not been judged yet.
   */
  requestInFlight?: boolean;
  force?: boolean;
  /** The segment (app, or all) the drift streak is about, its drifted features and readable reason. */
  driftSegment?: {
    segment: string;
    features: string[];
    reason: string;
    /** Every window of the streak drifted on label-mix features only (predicted_label, rating_bucket, app_id). */
    labelMixOnly?: boolean;
  };
  /**
   * Validation accuracy minus the label-free estimate (mean confidence of recent predictions, CBPE);
   * null when unknown. A label-mix streak is a retrain reason only when this exceeds accuracyDrop.
   */
  estimatedAccuracyDrop?: number | null;
}

export interface TriggerDecision {
  fire: boolean;
  reasons: RetrainReason[];
  /** Why each candidate reason fired, or why the whole request was suppressed. */
  detail: Record<string, string>;
  suppressedBy: 'min_days' | 'cooldown' | 'in_flight' | 'label_mix' | null;
}

export function evaluateTriggers(i: TriggerInputs, c: TriggerConfig = DEFAULT_TRIGGERS): TriggerDecision {
  const reasons: RetrainReason[] = [];
  const detail: Record<string, string> = {};
  const sinceTraining = i.lastTrainingAt === null ? Infinity : i.now - i.lastTrainingAt;
  if (sinceTraining >= c.maxDays * DAY) {
    reasons.push('time');
    detail.time =
      i.lastTrainingAt === null
        ? 'never trained'
        : `${(sinceTraining / DAY).toFixed(1)} days since the last training >= ${c.maxDays}`;
  }
  if (i.newLabelledSinceTraining >= c.newLabelled) {
    reasons.push('data');
    detail.data = `${i.newLabelledSinceTraining} new labelled reviews >= ${c.newLabelled}`;
  }
  if (i.feedbackErrorRate !== null && i.feedbackErrorRate > c.feedbackError) {
    reasons.push('feedback_error');
    const [rate, limit] = [i.feedbackErrorRate, c.feedbackError].map((x) => (x * 100).toFixed(1));
    detail.feedback_error = `feedback error rate ${rate} % > ${limit} %`;
  }
  if (i.accuracyDrop !== null && i.accuracyDrop > c.accuracyDrop) {
    reasons.push('accuracy_drop');
    const [drop, limit] = [i.accuracyDrop, c.accuracyDrop].map((x) => (x * 100).toFixed(1));
    detail.accuracy_drop = `accuracy dropped ${drop} points > ${limit}`;
  }
  const severe = c.driftSeverity !== null && i.latestDriftSeverity >= c.driftSeverity;
  const drifted = i.consecutiveDriftedWindows >= c.driftConsecutive || severe;
  const mixHeld = drifted ? labelMixHold(i, c) : null;
  if (mixHeld) detail.drift_held = mixHeld;
  else if (drifted) {
    reasons.push('drift');
    const bySeverity = c.driftSeverity === null ? 'off' : `>= ${c.driftSeverity} fires`;
    detail.drift =
      `${i.consecutiveDriftedWindows} consecutive drifted windows (>= ${c.driftConsecutive} fires), ` +
      `latest severity ${i.latestDriftSeverity.toFixed(2)} (${bySeverity})`;
    if (i.driftSegment) {
      const s = i.driftSegment;
      detail.drift_segment = s.segment;
      detail.drift_features = s.features.join(',');
      detail.drift_reason = s.reason;
    }
  }
  // A held label-mix streak alone is logged (suppressed, by label_mix) but requests nothing.
  if (reasons.length === 0) return { fire: false, reasons, detail, suppressedBy: mixHeld ? 'label_mix' : null };
  const held = suppression(i, c, sinceTraining);
  if (held) return { fire: false, reasons, detail: { ...detail, suppressed: held.why }, suppressedBy: held.by };
  return { fire: true, reasons, detail, suppressedBy: null };
}

/**
 * Why a drift streak is not a retrain reason, if it is not: it is a label-mix shift (what reviews
 * say changed; how they are written and how confident the model is did not) and the label-free
 * performance estimate holds. That is an alert about the app (the alerts processor raises it), not
 * a stale model: retraining on it would teach the model that the complaints are normal.
 */
function labelMixHold(i: TriggerInputs, c: TriggerConfig): string | null {
  if (!i.driftSegment?.labelMixOnly) return null;
  const drop = i.estimatedAccuracyDrop ?? null;
  if (drop !== null && drop > c.accuracyDrop) return null;
  const estimate =
    drop === null ? 'unknown' : `${(drop * 100).toFixed(1)} points <= ${(c.accuracyDrop * 100).toFixed(1)}`;
  return (
    `label-mix shift in ${i.driftSegment.segment} (${i.driftSegment.features.join(', ')}), estimated accuracy drop ` +
    `${estimate}: an alert, not a retrain`
  );
}

/** Why a request that has reasons is held back, if it is: the 7-day minimum, the cooldown, one in flight. */
function suppression(
  i: TriggerInputs,
  c: TriggerConfig,
  sinceTraining: number,
): { by: NonNullable<TriggerDecision['suppressedBy']>; why: string } | null {
  if (!i.force && sinceTraining < c.minDays * DAY) {
    return {
      by: 'min_days',
      why: `last training ${(sinceTraining / DAY).toFixed(1)} days ago < ${c.minDays}-day minimum`,
    };
  }
  if (i.lastFiredAt !== null && i.now - i.lastFiredAt < c.cooldownMs) {
    return { by: 'cooldown', why: `cooldown: last request ${Math.round((i.now - i.lastFiredAt) / 60000)} min ago` };
  }
  if (i.requestInFlight && !i.force) return { by: 'in_flight', why: 'the last request has not finished training' };
  return null;
}
