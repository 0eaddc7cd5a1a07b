// Retrain trigger configuration, parsed once at start-up (a bad value names its variable).
import { parseConfig, z } from '../../platform/config.js';
import { DURATION, parseDuration } from '../../platform/time.js';
import { DEFAULT_TRIGGERS, type TriggerConfig as TriggerRules } from './rules.js';

const dur = z.string().refine((s) => DURATION.test(s), 'must be a duration like 30s, 1h, 1d');

export const triggerShape = {
  /** Registry model the triggers ask to retrain. */
  TRIGGER_MODEL_NAME: z.string().min(1).default('ulasan-compact'),
  /** How often the five triggers are evaluated. */
  TRIGGER_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  /** Time trigger: retrain when Production is older than this many days. */
  TRIGGER_MAX_DAYS: z.coerce.number().positive().default(DEFAULT_TRIGGERS.maxDays),
  /** No trigger fires sooner than this many days after the last training (a forced request does). */
  TRIGGER_MIN_DAYS: z.coerce.number().min(0).default(DEFAULT_TRIGGERS.minDays),
  /** Data trigger: this many new feedback labels on scored reviews since the last training. */
  TRIGGER_NEW_LABELLED: z.coerce.number().int().positive().default(DEFAULT_TRIGGERS.newLabelled),
  /** Feedback trigger: error rate of Production on feedback above this. */
  TRIGGER_FEEDBACK_ERROR: z.coerce.number().min(0).max(1).default(DEFAULT_TRIGGERS.feedbackError),
  /** Accuracy trigger: feedback accuracy this far below the validation accuracy. */
  TRIGGER_ACCURACY_DROP: z.coerce.number().min(0).max(1).default(DEFAULT_TRIGGERS.accuracyDrop),
  /** Drift trigger: this many consecutive drifted windows of one segment. */
  TRIGGER_DRIFT_CONSECUTIVE: z.coerce.number().int().positive().default(DEFAULT_TRIGGERS.driftConsecutive),
  /** Unset (default): only TRIGGER_DRIFT_CONSECUTIVE windows fire; set: one window this severe fires too. */
  TRIGGER_DRIFT_SEVERITY: z.coerce.number().min(0).max(1).optional(),
  /** After a request fires, the same reasons wait this long. */
  TRIGGER_COOLDOWN: dur.default('6h'),
  /** Window of feedback the performance monitor measures. */
  TRIGGER_PERF_WINDOW: dur.default('1d'),
  /** Fewer feedback rows than this in a window: no accuracy verdict. */
  TRIGGER_MIN_FEEDBACK: z.coerce.number().int().positive().default(30),
  /** The drift window size the drift trigger reads. */
  TRIGGER_DRIFT_WINDOW: dur.default('1h'),
  /** Validation accuracy to measure the drop against when the registry has no Production version. */
  TRIGGER_VALIDATION_ACCURACY: z.coerce.number().min(0).max(1).optional(),
};

export type TriggerConfig = ReturnType<typeof parseTriggerConfig>;

export function parseTriggerConfig(env: NodeJS.ProcessEnv) {
  return parseConfig(triggerShape, env);
}

export function triggerRules(cfg: TriggerConfig): TriggerRules {
  return {
    maxDays: cfg.TRIGGER_MAX_DAYS,
    minDays: cfg.TRIGGER_MIN_DAYS,
    newLabelled: cfg.TRIGGER_NEW_LABELLED,
    feedbackError: cfg.TRIGGER_FEEDBACK_ERROR,
    accuracyDrop: cfg.TRIGGER_ACCURACY_DROP,
    driftConsecutive: cfg.TRIGGER_DRIFT_CONSECUTIVE,
    driftSeverity: cfg.TRIGGER_DRIFT_SEVERITY ?? null,
    cooldownMs: parseDuration(cfg.TRIGGER_COOLDOWN),
  };
}
