// Requests waiting for the one training slot: recovered re-runs first, then the pending request
// (requests arriving while a job runs coalesce into it). The pump never lets an error escape as an
// unhandled rejection: a run that fails before its outcome (Kafka down for the `started` event, a
// full disk) is kept and retried with backoff, and health reports it.
import type { RetrainRequest } from '../../schemas/types.generated.js';
import type { Health } from '../kit/kit.js';
import type { Logger } from '../../platform/logger.js';
import { coalesce } from './handler.js';

export interface QueuedRun {
  req: RetrainRequest;
  attempt: number;
  /** Commits the request's offset (and every coalesced one before it). */
  commit: () => Promise<void>;
}

export class RunQueue {
  private readonly retries: QueuedRun[] = [];
  private pending: QueuedRun | null = null;
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly run: (q: QueuedRun) => Promise<void>,
    private readonly health: Health,
    private readonly log: Logger,
  ) {}

  retry(q: QueuedRun): void {
    this.retries.push(q);
    this.pump();
  }

  /** A new request: merged into the pending one, whose commit moves to the newest offset. */
  request(req: RetrainRequest, commit: () => Promise<void>): void {
    this.pending = { req: coalesce(this.pending?.req ?? null, req), attempt: 1, commit };
    this.pump();
  }

  /**
   * An offset that needs no run (an unreadable request, already dead-lettered): committed with the
   * pending request when there is one (committing past it now would lose that request on a crash),
   * else at once.
   */
  async skip(commit: () => Promise<void>): Promise<void> {
    if (this.pending) this.pending = { ...this.pending, commit };
    else await commit();
  }

  busy(): boolean {
    return this.running !== null;
  }

  pump(): void {
    if (this.running || this.stopping) return;
    this.running = this.drain().finally(() => (this.running = null));
  }

  private next(): QueuedRun | null {
    if (this.retries.length) return this.retries.shift()!;
    const p = this.pending;
    this.pending = null;
    return p;
  }

  private async drain(): Promise<void> {
    let delay = 1000;
    for (let q = this.next(); q && !this.stopping; q = this.next()) {
      try {
        await this.run(q);
        this.health.ok('training run');
        delay = 1000;
      } catch (err) {
        this.health.waiting('training run');
        this.log.error({ err, request: q.req.request_id, retryInMs: delay }, 'run could not start or finish; retrying');
        this.retries.unshift(q);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(60_000, delay * 2);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }
}
