// A manual retrain request: the CLI (`npm run retrain`) and the gateway's admin route put the same
// record on the same topic the triggers use, so it goes through the same launcher, gates, registry
// and notifications, and shows on the status page timeline like any other run.
import { randomUUID } from 'node:crypto';
import type { ModelStage, RetrainRequest } from '../../schemas/types.generated.js';
import { UlasanError } from '../../platform/errors.js';

/**
 * A registry version to distil from: `<model>@<version>`, `<model>@production|staging`, or `<model>`
 * (its Production).
 */
export type TeacherRef = { model: string; version: number } | { model: string; stage: ModelStage };

export const TEACHER_REF = /^([A-Za-z0-9._-]{1,100})(?:@(\d{1,9}|production|staging))?$/i;

export function parseTeacherRef(s: string): TeacherRef {
  const m = TEACHER_REF.exec(s.trim());
  if (!m) throw new UlasanError('INVALID_INPUT', `teacher "${s}": expected <model>[@<version>|@production|@staging]`);
  const at = m[2]?.toLowerCase();
  if (at && /^\d+$/.test(at)) return { model: m[1]!, version: Number(at) };
  return { model: m[1]!, stage: at === 'staging' ? 'Staging' : 'Production' };
}

export interface ManualRetrain {
  modelName: string;
  /** Who asked (a token name, a user): kept on the request and the run. */
  requestedBy: string;
  reason?: string;
  /** A data manifest for this run instead of the launcher's own (LAUNCHER_MANIFEST). */
  manifest?: string;
  /** Distil this registry version (a TeacherRef string) instead of training on labels alone. */
  teacher?: string;
  /** How many of the newest stored reviews the teacher labels (the launcher's default otherwise). */
  unlabeledRows?: number;
  now?: number;
}

export function manualRetrainRequest(m: ManualRetrain): RetrainRequest {
  const details: Record<string, string> = { reason: m.reason?.trim() || 'manual retrain' };
  if (m.manifest) details.manifest = m.manifest;
  if (m.teacher) {
    parseTeacherRef(m.teacher); // refused here, not after a run has started
    details.job = 'distill';
    details.teacher = m.teacher.trim();
  }
  if (m.unlabeledRows !== undefined) {
    if (!Number.isInteger(m.unlabeledRows) || m.unlabeledRows < 1)
      throw new UlasanError('INVALID_INPUT', `unlabeled rows must be a positive integer (got ${m.unlabeledRows})`);
    details.unlabeled_rows = String(m.unlabeledRows);
  }
  return {
    request_id: randomUUID(),
    model_name: m.modelName,
    reasons: ['manual'],
    details,
    requested_by: m.requestedBy,
    // Asked for by a person: not held back by the triggers' minimum interval.
    force: true,
    requested_at: m.now ?? Date.now(),
  };
}
