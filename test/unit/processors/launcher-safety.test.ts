// What the training launcher hands to external jobs (an allow-list, never its secrets) and how it
// calls the webhook (a timeout per attempt, bounded retries), against a real local HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { jobEnvironment } from '../../../processors/training-launcher/job.js';
import { postWebhook } from '../../../processors/training-launcher/webhook.js';

describe('job environment', () => {
  it('passes the base list, the named extras and the job contract, and nothing else', () => {
    const parent = {
      PATH: '/usr/bin',
      HOME: '/home/u',
      CLICKHOUSE_PASSWORD: 'secret-pw',
      GATEWAY_TOKENS: 'ops:admin:abc',
      KAFKA_BROKERS: 'k:9092',
      CUDA_VISIBLE_DEVICES: '0',
    };
    const env = jobEnvironment(parent, ['CUDA_VISIBLE_DEVICES'], { ULASAN_JOB_OUT: '/out' });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/u', CUDA_VISIBLE_DEVICES: '0', ULASAN_JOB_OUT: '/out' });
  });
});

describe('webhook', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function serve(answer: (n: number) => number | 'hang'): Promise<{ url: string; hits: () => number }> {
    let n = 0;
    server = createServer((req, res) => {
      const a = answer(++n);
      req.resume();
      if (a === 'hang') return; // never answers
      res.writeHead(a).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits: () => n };
  }

  it('retries 5xx and succeeds within the bound', async () => {
    const s = await serve((n) => (n < 3 ? 503 : 200));
    expect(await postWebhook(s.url, { text: 'x' }, { timeoutMs: 1000, retries: 3, backoffMs: 10 })).toEqual({
      ok: true,
      attempts: 3,
    });
  });

  it('gives up after the bounded retries when the hook never answers', async () => {
    const s = await serve(() => 'hang');
    const out = await postWebhook(s.url, { text: 'x' }, { timeoutMs: 200, retries: 2, backoffMs: 10 });
    expect(out).toMatchObject({ ok: false, attempts: 3, error: 'no answer within 200 ms' });
    expect(s.hits()).toBe(3);
  });

  it('does not retry a 4xx', async () => {
    const s = await serve(() => 404);
    expect(await postWebhook(s.url, {}, { timeoutMs: 1000, retries: 3, backoffMs: 10 })).toMatchObject({
      ok: false,
      attempts: 1,
      error: 'HTTP 404',
    });
  });
});
