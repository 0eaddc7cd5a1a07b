// A manual retrain request: the CLI (`npm run retrain`) and the gateway's admin route put the same
// record on the same topic the triggers use, so it goes through the same launcher, gates, registry
// and notifications, and shows on the status page timeline like any other run.
import { randomUUID } from 'node:crypto';
import type { RetrainRequest } from '../../schemas/types.generated.js';

export interface ManualRetrain {
  modelName: string;
  /** Who asked (a token name, a user): kept on the request and the run. */
  requestedBy: string;
  reason?: string;
  /** A data manifest for this run instead of the launcher's own (LAUNCHER_MANIFEST). */
  manifest?: string;
  now?: number;
}

export function manualRetrainRequest(m: ManualRetrain): RetrainRequest {
  const details: Record<string, string> = { reason: m.reason?.trim() || 'manual retrain' };
  if (m.manifest) details.manifest = m.manifest;
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
