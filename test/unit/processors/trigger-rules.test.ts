// Each trigger fires exactly when its condition is crossed and not before; the 7-day minimum and
// the cooldown suppress repeats.
import { describe, expect, it } from 'vitest';
import { segmentStreak } from '../../../processors/retrain-trigger/handler.js';
import { DEFAULT_TRIGGERS, evaluateTriggers, type TriggerInputs } from '../../../processors/retrain-trigger/rules.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 28);
const quiet: TriggerInputs = {
  now: NOW,
  lastTrainingAt: NOW - 10 * DAY,
  newLabelledSinceTraining: 0,
  feedbackErrorRate: 0.05,
  accuracyDrop: 0,
  consecutiveDriftedWindows: 0,
  latestDriftSeverity: 0,
  lastFiredAt: null,
};
const reasons = (i: Partial<TriggerInputs>) => evaluateTriggers({ ...quiet, ...i }).reasons;

describe('retrain triggers', () => {
  it('stays quiet when nothing is crossed', () =>
    expect(evaluateTriggers(quiet)).toMatchObject({ fire: false, reasons: [] }));
  it('time: 30 days, not 29.99', () => {
    expect(reasons({ lastTrainingAt: NOW - 30 * DAY + 1000 })).toEqual([]);
    expect(reasons({ lastTrainingAt: NOW - 30 * DAY })).toEqual(['time']);
    expect(reasons({ lastTrainingAt: null })).toEqual(['time']);
  });
  it('data: 500 new labelled reviews, not 499', () => {
    expect(reasons({ newLabelledSinceTraining: 499 })).toEqual([]);
    expect(reasons({ newLabelledSinceTraining: 500 })).toEqual(['data']);
  });
  it('feedback error: above 12 %, not at it', () => {
    expect(reasons({ feedbackErrorRate: 0.12 })).toEqual([]);
    expect(reasons({ feedbackErrorRate: 0.1201 })).toEqual(['feedback_error']);
    expect(reasons({ feedbackErrorRate: null })).toEqual([]);
  });
  it('accuracy drop: above 3 points, not at it', () => {
    expect(reasons({ accuracyDrop: 0.03 })).toEqual([]);
    expect(reasons({ accuracyDrop: 0.0301 })).toEqual(['accuracy_drop']);
  });
  it('drift: 3 consecutive windows; one severe window alone does not fire unless asked to', () => {
    expect(reasons({ consecutiveDriftedWindows: 2, latestDriftSeverity: 0.49 })).toEqual([]);
    expect(reasons({ consecutiveDriftedWindows: 3 })).toEqual(['drift']);
    expect(reasons({ consecutiveDriftedWindows: 1, latestDriftSeverity: 1 })).toEqual([]);
    const seedRule = { ...DEFAULT_TRIGGERS, driftSeverity: 0.5 };
    expect(evaluateTriggers({ ...quiet, latestDriftSeverity: 0.5 }, seedRule).reasons).toEqual(['drift']);
    expect(evaluateTriggers({ ...quiet, latestDriftSeverity: 0.49 }, seedRule).reasons).toEqual([]);
  });
  it('puts every reason that fired into one request', () => {
    const d = evaluateTriggers({
      ...quiet,
      newLabelledSinceTraining: 900,
      feedbackErrorRate: 0.2,
      consecutiveDriftedWindows: 4,
    });
    expect(d.fire).toBe(true);
    expect(d.reasons).toEqual(['data', 'feedback_error', 'drift']);
    expect(Object.keys(d.detail)).toEqual(['data', 'feedback_error', 'drift']);
  });
  it('suppresses within 7 days of the last training unless forced', () => {
    const i = { ...quiet, lastTrainingAt: NOW - 6.9 * DAY, feedbackErrorRate: 0.3 };
    expect(evaluateTriggers(i)).toMatchObject({ fire: false, suppressedBy: 'min_days', reasons: ['feedback_error'] });
    expect(evaluateTriggers({ ...i, force: true }).fire).toBe(true);
    expect(evaluateTriggers({ ...i, lastTrainingAt: NOW - 7 * DAY }).fire).toBe(true);
  });
  it('holds a new request while the last one is still being trained, unless forced', () => {
    const i = {
      ...quiet,
      feedbackErrorRate: 0.3,
      lastFiredAt: NOW - DEFAULT_TRIGGERS.cooldownMs,
      requestInFlight: true,
    };
    expect(evaluateTriggers(i)).toMatchObject({ fire: false, suppressedBy: 'in_flight' });
    expect(evaluateTriggers({ ...i, force: true }).fire).toBe(true);
    expect(evaluateTriggers({ ...i, requestInFlight: false }).fire).toBe(true);
  });
  it('suppresses a repeat inside the cooldown, and fires again after it', () => {
    const i = { ...quiet, feedbackErrorRate: 0.3, lastFiredAt: NOW - DEFAULT_TRIGGERS.cooldownMs + 1 };
    expect(evaluateTriggers(i)).toMatchObject({ fire: false, suppressedBy: 'cooldown' });
    expect(evaluateTriggers({ ...i, lastFiredAt: NOW - DEFAULT_TRIGGERS.cooldownMs }).fire).toBe(true);
  });
});

// Issue 27: an app whose reviews turn (a label-mix shift) while the model still reads them well is
// an alert, not a retrain.
describe('label-mix shifts are alerts, not retrain reasons', () => {
  const streak = { ...quiet, consecutiveDriftedWindows: 4, latestDriftSeverity: 0.2 };
  const mix = {
    segment: 'com.shopee.id',
    features: ['predicted_label', 'rating_bucket'],
    reason: 'negative 12 % -> 48 %',
  };

  it('holds a label-mix streak whose estimated accuracy holds, and says why', () => {
    const d = evaluateTriggers({
      ...streak,
      driftSegment: { ...mix, labelMixOnly: true },
      estimatedAccuracyDrop: 0.01,
    });
    expect(d).toMatchObject({ fire: false, reasons: [], suppressedBy: 'label_mix' });
    expect(d.detail.drift_held).toMatch(/label-mix shift in com\.shopee\.id .*an alert, not a retrain/);
    // Unknown estimate: the segment's own confidence did not drift (labelMixOnly says so): held too.
    expect(evaluateTriggers({ ...streak, driftSegment: { ...mix, labelMixOnly: true } }).reasons).toEqual([]);
  });

  it('still retrains when the label-free estimate drops past the accuracy threshold', () => {
    const i = { ...streak, driftSegment: { ...mix, labelMixOnly: true }, estimatedAccuracyDrop: 0.0301 };
    expect(evaluateTriggers(i)).toMatchObject({ fire: true, reasons: ['drift'] });
    expect(evaluateTriggers({ ...i, estimatedAccuracyDrop: 0.03 }).reasons).toEqual([]);
  });

  it('still retrains on a streak that moved the texts or the confidence', () => {
    const shifted = { ...mix, features: ['predicted_label', 'confidence'], labelMixOnly: false };
    expect(evaluateTriggers({ ...streak, driftSegment: shifted, estimatedAccuracyDrop: 0 }).reasons).toEqual(['drift']);
  });

  it('does not hide the other reasons behind a held label-mix streak', () => {
    const d = evaluateTriggers({
      ...streak,
      driftSegment: { ...mix, labelMixOnly: true },
      estimatedAccuracyDrop: 0,
      feedbackErrorRate: 0.2,
    });
    expect(d).toMatchObject({ fire: true, reasons: ['feedback_error'] });
    expect(d.detail.drift_held).toBeDefined();
  });

  it('segmentStreak marks a run drifted on label-mix features only', () => {
    const w = (features: string[]) => ({
      segment: 'a',
      drifted: true,
      severity: 0.1,
      drifted_features: features,
      reason: '',
      reference_model_version: '1',
    });
    const mixOnly = [w(['predicted_label']), w(['predicted_label', 'rating_bucket']), w(['rating_bucket'])];
    expect(segmentStreak(mixOnly)).toMatchObject({ consecutive: 3, labelMixOnly: true });
    const withText = [w(['predicted_label']), w(['char_count', 'predicted_label']), w(['rating_bucket'])];
    expect(segmentStreak(withText)).toMatchObject({ consecutive: 3, labelMixOnly: false });
    expect(segmentStreak([{ ...w([]), drifted: false }])).toMatchObject({ consecutive: 0, labelMixOnly: false });
  });
});
