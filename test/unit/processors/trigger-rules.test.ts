// Each trigger fires exactly when its condition is crossed and not before; the 7-day minimum and
// the cooldown suppress repeats.
import { describe, expect, it } from 'vitest';
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
