// Notifications, off the consuming path: alert changes are enqueued (never awaited by the consumer),
// grouped for `groupWaitMs` into one "firing" and one "resolved" message (so one outage across ten
// apps is one message, not fifty), put in a bounded outbox per channel and delivered with retries
// and exponential backoff. A webhook that hangs is cut off at `timeoutMs`, one that answers 500 is
// retried until `maxAgeMs`; either way consumption and the other channel carry on. Messages that
// expire or overflow the outbox are counted (`onDrop`). Still-open alerts are sent again, grouped,
// once per `repeatIntervalMs` (Alertmanager's group_wait and repeat_interval).
//
// Channels: a Slack-compatible incoming webhook (`{"text": ..., "blocks": [...]}`) and a generic
// webhook signed with HMAC-SHA256 over `${timestamp}.${body}` in X-Ulasan-Signature, with the
// timestamp (unix seconds) in X-Ulasan-Timestamp, so a receiver can refuse replays and forgeries.
import { createHmac } from 'node:crypto';
import type { Alert } from '../../schemas/types.generated.js';
import type { Punctuation, Schedule } from '../../platform/scheduler.js';

export type MessageKind = 'firing' | 'resolved' | 'repeat';

export interface Channel {
  name: string;
  url: string;
  format(kind: MessageKind, alerts: Alert[], now: number): { body: string; headers: Record<string, string> };
}

/** At most this many alerts are listed in one message (the rest are counted). */
export const MAX_ALERTS_PER_MESSAGE = 20;

function lines(kind: MessageKind, alerts: Alert[]): string {
  const title = {
    firing: `${alerts.length} new alert${alerts.length === 1 ? '' : 's'}`,
    resolved: `${alerts.length} alert${alerts.length === 1 ? '' : 's'} resolved`,
    repeat: `${alerts.length} alert${alerts.length === 1 ? '' : 's'} still open`,
  }[kind];
  const shown = alerts.slice(0, MAX_ALERTS_PER_MESSAGE).map((a) => {
    const v = a.app_version ? ` ${a.app_version}` : '';
    return `• ${a.app_id}${v} ${a.kind}: ${a.reason}`;
  });
  const more = alerts.length > shown.length ? [`… and ${alerts.length - shown.length} more`] : [];
  return [`Ulasan: ${title}`, ...shown, ...more].join('\n');
}

export function slackChannel(url: string): Channel {
  return {
    name: 'slack',
    url,
    format(kind, alerts) {
      const text = lines(kind, alerts);
      const blocks = [{ type: 'section', text: { type: 'mrkdwn', text } }];
      return { body: JSON.stringify({ text, blocks }), headers: { 'content-type': 'application/json' } };
    },
  };
}

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function signedChannel(url: string, secret: string): Channel {
  return {
    name: 'webhook',
    url,
    format(kind, alerts, now) {
      const body = JSON.stringify({ kind, text: lines(kind, alerts), alerts: alerts.slice(0, MAX_ALERTS_PER_MESSAGE) });
      const timestamp = String(Math.floor(now / 1000));
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-ulasan-timestamp': timestamp,
          'x-ulasan-signature': signature(secret, timestamp, body),
        },
      };
    },
  };
}

export interface NotifierOptions {
  channels: Channel[];
  groupWaitMs: number;
  repeatIntervalMs: number;
  /** Messages waiting per channel; beyond it the oldest is dropped (counted). */
  maxQueue: number;
  /** A message not delivered within this long is given up (counted). */
  maxAgeMs: number;
  timeoutMs: number;
  backoffMs: { min: number; max: number };
  onSent?: (channel: string, kind: MessageKind) => void;
  onDrop?: (channel: string, why: 'expired' | 'overflow') => void;
  onFailure?: (channel: string, err: string) => void;
  fetch?: typeof fetch;
  now?: () => number;
  /** The processor's scheduler (`ctx.scheduler.schedule`): it runs the outbox's retry tick. */
  schedule: Schedule;
}

interface Pending {
  kind: MessageKind;
  body: string;
  headers: Record<string, string>;
  createdAt: number;
  attempts: number;
  nextAt: number;
}

export class Notifier {
  private opened = new Map<string, Alert>();
  private resolved = new Map<string, Alert>();
  private readonly stillOpen = new Map<string, { alert: Alert; sentAt: number }>();
  private readonly outbox = new Map<string, Pending[]>();
  private readonly busy = new Set<string>();
  private groupTimer: NodeJS.Timeout | null = null;
  private readonly ticker: Punctuation;
  private stopped = false;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly o: NotifierOptions) {
    this.now = o.now ?? Date.now;
    this.fetchFn = o.fetch ?? fetch;
    for (const c of o.channels) this.outbox.set(c.name, []);
    this.ticker = o.schedule(Math.min(1000, o.backoffMs.min), 'wall-clock', () => this.tick(), {
      name: 'notification outbox',
    });
  }

  /** Queues an alert change; returns at once. */
  enqueue(a: Alert): void {
    if (this.stopped || this.o.channels.length === 0) return;
    if (a.status === 'open') {
      this.opened.set(a.alert_id, a);
      this.stillOpen.set(a.alert_id, { alert: a, sentAt: this.now() });
    } else {
      this.resolved.set(a.alert_id, a);
      this.stillOpen.delete(a.alert_id);
    }
    this.groupTimer ??= setTimeout(() => this.flushGroup(), this.o.groupWaitMs);
  }

  /** Messages waiting, per channel (for the gauge and tests). */
  queued(): Record<string, number> {
    return Object.fromEntries([...this.outbox].map(([k, v]) => [k, v.length]));
  }

  stop(): void {
    this.stopped = true;
    void this.ticker.cancel();
    if (this.groupTimer) clearTimeout(this.groupTimer);
  }

  private flushGroup(): void {
    this.groupTimer = null;
    const opened = [...this.opened.values()];
    const resolved = [...this.resolved.values()];
    this.opened = new Map();
    this.resolved = new Map();
    if (opened.length) this.push('firing', opened);
    if (resolved.length) this.push('resolved', resolved);
  }

  private push(kind: MessageKind, alerts: Alert[]): void {
    const now = this.now();
    for (const c of this.o.channels) {
      const q = this.outbox.get(c.name)!;
      q.push({ kind, ...c.format(kind, alerts, now), createdAt: now, attempts: 0, nextAt: now });
      while (q.length > this.o.maxQueue) {
        q.shift();
        this.o.onDrop?.(c.name, 'overflow');
      }
    }
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    const due = [...this.stillOpen.values()].filter((x) => now - x.sentAt >= this.o.repeatIntervalMs);
    if (due.length) {
      for (const x of due) x.sentAt = now;
      this.push(
        'repeat',
        due.map((x) => x.alert),
      );
      return;
    }
    for (const c of this.o.channels) if (!this.busy.has(c.name)) void this.deliver(c, now);
  }

  /** The head of one channel's outbox, one attempt; a channel never waits on another. */
  private async deliver(c: Channel, now: number): Promise<void> {
    const q = this.outbox.get(c.name)!;
    while (q.length && now - q[0]!.createdAt > this.o.maxAgeMs) {
      q.shift();
      this.o.onDrop?.(c.name, 'expired');
    }
    const head = q[0];
    if (!head || head.nextAt > now) return;
    this.busy.add(c.name);
    try {
      const res = await this.fetchFn(c.url, {
        method: 'POST',
        body: head.body,
        headers: head.headers,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (q[0] === head) q.shift();
      this.o.onSent?.(c.name, head.kind);
    } catch (err) {
      head.attempts += 1;
      const wait = Math.min(this.o.backoffMs.max, this.o.backoffMs.min * 2 ** (head.attempts - 1));
      head.nextAt = this.now() + wait;
      this.o.onFailure?.(c.name, err instanceof Error ? err.message : String(err));
    } finally {
      this.busy.delete(c.name);
    }
    if (q.length && q[0] !== head) this.tick();
  }
}
