// Pure: registry and training-run events as ClickHouse rows.
import type { AdminAction, ModelVersionEvent, TrainingRun } from '../../schemas/types.generated.js';
import { toDateTime64 } from '../../platform/time.js';

export function modelVersionRow(e: ModelVersionEvent): Record<string, unknown> {
  return {
    name: e.name,
    version: e.version,
    stage: e.stage,
    metrics: e.metrics ?? {},
    artifact_uri: e.artifact_uri,
    content_hash: e.content_hash,
    run_id: e.run_id ?? null,
    reason: e.reason,
    actor: e.actor,
    event_time: toDateTime64(e.timestamp),
  };
}

export function trainingRunRow(r: TrainingRun): Record<string, unknown> {
  return {
    run_id: r.run_id,
    request_id: r.request_id ?? null,
    model_name: r.model_name,
    status: r.status,
    params: r.params ?? {},
    dataset_hash: r.dataset_hash ?? null,
    dataset_rows: r.dataset_rows ?? null,
    git_sha: r.git_sha ?? null,
    metrics: r.metrics ?? {},
    reason: r.reason ?? null,
    model_version: r.model_version ?? null,
    event_time: toDateTime64(r.event_time),
  };
}

export function adminActionRow(a: AdminAction): Record<string, unknown> {
  return {
    action_id: a.action_id,
    action: a.action,
    actor: a.actor,
    remote_address: a.remote_address,
    model_name: a.model_name,
    from_version: a.from_version ?? null,
    to_version: a.to_version ?? null,
    reason: a.reason,
    outcome: a.outcome,
    error_code: a.error_code ?? null,
    at: toDateTime64(a.at, 'at'),
  };
}
