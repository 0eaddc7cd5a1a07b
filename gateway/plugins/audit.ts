// The admin audit trail: every admin action, and every refused call to an admin route, as an
// AdminAction on the audit topic (mirrored into ClickHouse admin_audit by registry-mirror).
import type { FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { isUlasanError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { counter } from '../../platform/metrics.js';
import type { AdminAction, ModelVersionEvent } from '../../schemas/types.generated.js';
import type { OnRefused, Refusal } from './security.js';

export interface AuditDeps {
  /** The model the gateway administers. */
  modelName: string;
  /** Writes one admin action to the audit trail (a topic mirrored to ClickHouse). */
  audit(a: AdminAction): Promise<void>;
}

export const productionOf = (versions: ModelVersionEvent[]): string | null => {
  const p = versions.find((x) => x.stage === 'Production');
  return p ? String(p.version) : null;
};

type What = { action: AdminAction['action']; reason: string };

/**
 * Runs an admin action and writes its audit record (who, what, from which Production to which,
 * when, and whether it worked), failed attempts included.
 */
export async function audited<T>(
  deps: AuditDeps & { registry: { versions(): Promise<ModelVersionEvent[]> } },
  req: FastifyRequest,
  what: What,
  act: () => Promise<T>,
  // Where the action ended: Production in the registry, unless the action says otherwise (reload: served).
  after: (result: T) => Promise<string | null> = async () => productionOf(await deps.registry.versions()),
): Promise<T> {
  const from = productionOf(await deps.registry.versions());
  const record = (outcome: AdminAction['outcome'], to: string | null, errorCode: string | null): AdminAction => ({
    action_id: req.id,
    action: what.action,
    actor: req.identity!.name,
    remote_address: req.ip,
    model_name: deps.modelName,
    from_version: from,
    to_version: to,
    reason: what.reason,
    outcome,
    error_code: errorCode,
    at: Date.now(),
  });
  let result: T;
  try {
    result = await act();
  } catch (err) {
    await deps.audit(record('failed', from, isUlasanError(err) ? err.code : 'INTERNAL'));
    throw err;
  }
  await deps.audit(record('done', await after(result), null));
  return result;
}

/**
 * A fixed-window budget per client address: at most `max` takes per window, and at most
 * `maxAddresses` addresses tracked per window (beyond that, a new address gets nothing), so neither
 * the records nor this table can be grown without bound by a flood.
 */
export class AddressBudget {
  private windowStart = 0;
  private used = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  take(address: string): boolean {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.used = new Map();
    }
    const n = this.used.get(address);
    if (n === undefined && this.used.size >= this.maxAddresses) return false;
    if ((n ?? 0) >= this.max) return false;
    this.used.set(address, (n ?? 0) + 1);
    return true;
  }
}

export interface RefusalAuditOptions extends AuditDeps {
  metrics: Registry;
  /** Audit records of refused admin calls per client address and window; the rest are counted, not written. */
  refusedAuditMax: number;
  refusedAuditWindowMs: number;
  log?: Pick<Logger, 'warn'>;
}

/** Who a refused request was, as far as the gateway knows: the token's name, or what it presented. */
function actorOf(req: FastifyRequest, refusal: Refusal): string {
  if (req.identity) return req.identity.name;
  return /bearer token not recognised/.test(refusal.reason) ? '(unrecognised token)' : '(no token)';
}

/**
 * The refusal hook of the admin routes: every refused call is counted by route and code, and
 * written to the audit trail (outcome `failed`, error_code UNAUTHENTICATED or FORBIDDEN, the route
 * and the reason in `reason`) within the address's budget; over it, the record is dropped and counted.
 * A failed audit write is logged, never turned into a different answer to the caller.
 */
export function refusalAudit(o: RefusalAuditOptions): (action: AdminAction['action']) => OnRefused {
  const refused = counter(o.metrics, {
    name: 'ulasan_gateway_admin_refused_total',
    help: 'Refused calls to admin routes (401/403), by route and code',
    labelNames: ['route', 'code'],
  });
  const dropped = counter(o.metrics, {
    name: 'ulasan_gateway_refused_audit_dropped_total',
    help: 'Audit records of refused admin calls not written: the address was over its audit budget',
  });
  const budget = new AddressBudget(o.refusedAuditMax, o.refusedAuditWindowMs);
  return (action) => async (req, refusal) => {
    const route = `${req.method} ${req.routeOptions.url ?? req.url}`;
    refused.inc({ route, code: refusal.code });
    if (!budget.take(req.ip)) return void dropped.inc();
    const record: AdminAction = {
      action_id: req.id,
      action,
      actor: actorOf(req, refusal),
      remote_address: req.ip,
      model_name: o.modelName,
      from_version: null,
      to_version: null,
      reason: `refused ${route}: ${refusal.reason}`,
      outcome: 'failed',
      error_code: refusal.code,
      at: Date.now(),
    };
    await o.audit(record).catch((err: unknown) => o.log?.warn({ err, route }, 'refused admin call not audited'));
  };
}
