// The notifier against local HTTP receivers (127.0.0.1): grouping into one message, the HMAC
// signature, retries with backoff through 500s, a receiver that hangs (cut off, retried, and the
// other channel unaffected), expiry and overflow counted, and enqueue never waiting.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Notifier, signature, signedChannel, slackChannel, type Channel } from '../../../processors/alerts/notify.js';
import type { Alert } from '../../../schemas/types.generated.js';
import { waitFor } from '../../helpers.js';
import { Scheduler } from '../../../platform/scheduler.js';

const SECRET = 'a-test-secret-of-enough-length';

const alert = (id: string, status: Alert['status'] = 'open', app = 'app.a'): Alert => ({
  alert_id: id,
  app_id: app,
  kind: 'sentiment_turn',
  app_version: null,
  window_start: 0,
  window_end: 86_400_000,
  topics: ['payment'],
  status,
  reason: `negative 14 % → 52 % over 1 day (${id})`,
  baseline_share: 0.14,
  current_share: 0.52,
  reviews: 300,
  statistic: 9,
  opened_at: 86_400_000,
  updated_at: 86_400_000,
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
const notifiers: Notifier[] = [];
afterEach(async () => {
  for (const n of notifiers.splice(0)) n.stop();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A receiver that answers each request with `answer(n)` (a status, or 'hang'). */
async function receiver(answer: (n: number) => number | 'hang' = () => 200) {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const a = answer(n++);
      if (a === 'hang') return;
      if (a < 300) got.push({ headers: req.headers, body });
      res.writeHead(a).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, attempts: () => n };
}

function notifier(channels: Channel[], extra = {}) {
  const counts = { sent: 0, dropped: [] as string[], failures: 0 };
  const n = new Notifier({
    channels,
    schedule: new Scheduler().schedule,
    groupWaitMs: 200,
    repeatIntervalMs: 3_600_000,
    maxQueue: 10,
    maxAgeMs: 60_000,
    timeoutMs: 500,
    backoffMs: { min: 50, max: 400 },
    onSent: () => counts.sent++,
    onDrop: (_c, why) => counts.dropped.push(why),
    onFailure: () => counts.failures++,
    ...extra,
  });
  notifiers.push(n);
  return { n, counts };
}

describe('alert notifications', () => {
  it('groups changes into one firing and one resolved message, signed with HMAC-SHA256', async () => {
    const hook = await receiver();
    const slack = await receiver();
    const { n } = notifier([signedChannel(hook.url, SECRET), slackChannel(slack.url)]);
    for (let i = 0; i < 50; i++) n.enqueue(alert(`a${i}`, 'open', `app.${i}`));
    n.enqueue(alert('a0', 'resolved'));
    await waitFor(async () => hook.got.length === 2 && slack.got.length === 2, 5000, 'two messages each');
    const [firing, resolved] = hook.got.map(
      (g) => JSON.parse(g.body) as { kind: string; text: string; alerts: Alert[] },
    );
    expect(firing!.kind).toBe('firing');
    expect(firing!.text).toMatch(/^Ulasan: 50 new alerts\n/);
    expect(firing!.text).toMatch(/… and 30 more$/);
    expect(resolved!.kind).toBe('resolved');
    for (const g of hook.got) {
      const ts = String(g.headers['x-ulasan-timestamp']);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
      expect(g.headers['x-ulasan-signature']).toBe(signature(SECRET, ts, g.body));
      expect(g.headers['x-ulasan-signature']).not.toBe(signature('another-secret-entirely', ts, g.body));
    }
    const s = JSON.parse(slack.got[0]!.body) as { text: string; blocks: unknown[] };
    expect(s.text).toContain('app.1 sentiment_turn: negative 14 % → 52 %');
    expect(s.blocks).toHaveLength(1);
  });

  it('retries through 500s with backoff and loses nothing', async () => {
    const hook = await receiver((k) => (k < 3 ? 500 : 200));
    const { n, counts } = notifier([signedChannel(hook.url, SECRET)]);
    n.enqueue(alert('x'));
    await waitFor(async () => hook.got.length === 1, 5000, 'delivery after three 500s');
    expect(hook.attempts()).toBe(4);
    expect(counts.failures).toBe(3);
    expect(counts.dropped).toEqual([]);
  });

  it('cuts off a receiver that hangs, keeps retrying it, and never holds the other channel or the caller', async () => {
    const hanging = await receiver(() => 'hang');
    const fine = await receiver();
    const { n, counts } = notifier([signedChannel(hanging.url, SECRET), slackChannel(fine.url)]);
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) n.enqueue(alert(`h${i}`));
    // enqueue is synchronous bookkeeping: nothing waits on the network.
    expect(performance.now() - t0).toBeLessThan(50);
    await waitFor(async () => fine.got.length === 1, 5000, 'the healthy channel delivers');
    await waitFor(async () => hanging.attempts() >= 2, 5000, 'the hanging one is retried');
    expect(counts.failures).toBeGreaterThanOrEqual(1);
    expect(n.queued()).toMatchObject({ webhook: 1, slack: 0 });
  });

  it('counts messages that expire or overflow the outbox', async () => {
    let now = 1_000_000;
    const down = await receiver(() => 503);
    const { n, counts } = notifier([signedChannel(down.url, SECRET)], {
      groupWaitMs: 0,
      maxQueue: 2,
      maxAgeMs: 10_000,
      now: () => now,
    });
    for (let i = 0; i < 4; i++) {
      n.enqueue(alert(`o${i}`));
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(async () => counts.dropped.length >= 2, 5000, 'overflow');
    expect(counts.dropped.slice(0, 2)).toEqual(['overflow', 'overflow']);
    now += 20_000;
    await waitFor(async () => counts.dropped.filter((d) => d === 'expired').length >= 1, 5000, 'expiry');
  });

  it('sends still-open alerts again once per repeat interval, grouped', async () => {
    let now = 0;
    const hook = await receiver();
    const { n } = notifier([signedChannel(hook.url, SECRET)], { repeatIntervalMs: 1000, now: () => now });
    n.enqueue(alert('r1'));
    n.enqueue(alert('r2'));
    await waitFor(async () => hook.got.length === 1, 5000, 'firing');
    now += 1000;
    await waitFor(async () => hook.got.length === 2, 5000, 'one repeat');
    const repeat = JSON.parse(hook.got[1]!.body) as { kind: string; alerts: Alert[] };
    expect(repeat.kind).toBe('repeat');
    expect(repeat.alerts.map((a) => a.alert_id)).toEqual(['r1', 'r2']);
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.got).toHaveLength(2);
  });
});
