// The five retrain triggers of the original system, as one pure decision. Every threshold is
// configurable; all reasons that fire go into one RetrainRequest; the 7-day minimum and the cooldown
// suppress (and say why) rather than drop silently.
import type { RetrainReason } from '../../schemas/types.generated.js';

const DAY = 24 * 60 * 60 * 1000;

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
  force?: boolean;
  /** The segment (app, or all) the drift streak is about, its drifted features and readable reason. */
  driftSegment?: { segment: string; features: string[]; reason: string };
}

export interface TriggerDecision {
  fire: boolean;
  reasons: RetrainReason[];
  /** Why each candidate reason fired, or why the whole request was suppressed. */
  detail: Record<string, string>;
  suppressedBy: 'min_days' | 'cooldown' | null;
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
    detail.feedback_error = `feedback error rate ${(i.feedbackErrorRate * 100).toFixed(1)} % > ${(c.feedbackError * 100).toFixed(1)} %`;
  }
  if (i.accuracyDrop !== null && i.accuracyDrop > c.accuracyDrop) {
    reasons.push('accuracy_drop');
    detail.accuracy_drop = `accuracy dropped ${(i.accuracyDrop * 100).toFixed(1)} points > ${(c.accuracyDrop * 100).toFixed(1)}`;
  }
  const severe = c.driftSeverity !== null && i.latestDriftSeverity >= c.driftSeverity;
  if (i.consecutiveDriftedWindows >= c.driftConsecutive || severe) {
    reasons.push('drift');
    const bySeverity = c.driftSeverity === null ? 'off' : `>= ${c.driftSeverity} fires`;
    detail.drift = `${i.consecutiveDriftedWindows} consecutive drifted windows (>= ${c.driftConsecutive} fires), latest severity ${i.latestDriftSeverity.toFixed(2)} (${bySeverity})`;
    if (i.driftSegment) {
      const s = i.driftSegment;
      detail.drift_segment = s.segment;
      detail.drift_features = s.features.join(',');
      detail.drift_reason = s.reason;
    }
  }
  if (reasons.length === 0) return { fire: false, reasons, detail, suppressedBy: null };
  if (!i.force && sinceTraining < c.minDays * DAY) {
    return {
      fire: false,
      reasons,
      detail: {
        ...detail,
        suppressed: `last training ${(sinceTraining / DAY).toFixed(1)} days ago < ${c.minDays}-day minimum`,
      },
      suppressedBy: 'min_days',
    };
  }
  if (i.lastFiredAt !== null && i.now - i.lastFiredAt < c.cooldownMs) {
    return {
      fire: false,
      reasons,
      detail: {
        ...detail,
        suppressed: `cooldown: last request ${Math.round((i.now - i.lastFiredAt) / 60000)} min ago`,
      },
      suppressedBy: 'cooldown',
    };
  }
  return { fire: true, reasons, detail, suppressedBy: null };
}
