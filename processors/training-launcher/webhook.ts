// Run notifications to a Slack-compatible incoming webhook: each attempt has a timeout, failures
// that may pass (network errors, timeouts, 429, 5xx) are retried a bounded number of times with
// backoff, and a final failure is reported to the caller, never thrown into the run.
export interface WebhookOptions {
  timeoutMs: number;
  retries: number;
  backoffMs?: number;
}

export type WebhookOutcome = { ok: true; attempts: number } | { ok: false; attempts: number; error: string };

const retriable = (status: number) => status === 429 || status >= 500;

export async function postWebhook(url: string, body: unknown, o: WebhookOptions): Promise<WebhookOutcome> {
  const backoff = o.backoffMs ?? 1000;
  let error = '';
  for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt };
      error = `HTTP ${res.status}`;
      if (!retriable(res.status)) return { ok: false, attempts: attempt, error };
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `no answer within ${o.timeoutMs} ms` : (err as Error).message;
    }
    if (attempt <= o.retries) await new Promise((r) => setTimeout(r, backoff * 2 ** (attempt - 1)));
  }
  return { ok: false, attempts: o.retries + 1, error };
}
