// The black-box probe's findings (issue 30), replayed against the whole gateway through its public
// surface only (buildGateway + inject()), so the same file runs against any version of the gateway:
// each of these failed before the fix.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { as, buildGateway, fakes, options } from './harness.js';

const budget = { ...options, rateLimitMax: 300, rateLimitAnonymousMax: 300 };

describe('probe finding 1: unauthenticated requests are rate-limited', () => {
  it('350 requests without a token and 350 with a wrong one spend the address budget: 429 with retry-after', async () => {
    const app = await buildGateway(fakes().deps, budget);
    const statuses: number[] = [];
    for (let i = 0; i < 350; i++) {
      statuses.push((await app.inject({ method: 'POST', url: '/predict', payload: { text: 'x' } })).statusCode);
    }
    for (let i = 0; i < 350; i++) {
      const headers = { authorization: `Bearer wrong-${i}` };
      statuses.push((await app.inject({ method: 'GET', url: '/stats', headers })).statusCode);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(300);
    expect(statuses.filter((s) => s === 429)).toHaveLength(400);
    const res = await app.inject({ method: 'GET', url: '/models' });
    expect(res.json().code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('probe finding 2: wrong JSON types are refused, not coerced', () => {
  it.each([
    ['/predict', '{"text": 123}', 'read', 'text'],
    ['/predict', '{"text": true}', 'read', 'text'],
    ['/predict', '{"text": ["a"]}', 'read', 'text'],
    ['/feedback', '{"review_id": 123, "true_label": "neutral"}', 'feedback', 'review_id'],
    ['/retrain', '{"data": 123}', 'admin', 'data'],
  ] as const)('POST %s %s: 400 VALIDATION_FAILED naming the field', async (url, payload, role, field) => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    const headers = { ...as(role), 'content-type': 'application/json' };
    const res = await app.inject({ method: 'POST', url, payload, headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.json().message).toContain(`body/${field}`);
    expect([f.calls, f.feedback, f.retrains]).toEqual([[], [], []]);
  });
});

describe('probe finding 3: a retrain cannot point at any readable file', () => {
  it('refuses data outside the allowed roots at the gateway, before anything reaches the launcher', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'ulasan-probe-'));
    const passwd = path.join(outside, 'passwd');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\n');
    const f = fakes();
    const app = await buildGateway(f.deps, {
      ...options,
      retrainRoots: [mkdtempSync(path.join(tmpdir(), 'ulasan-r-'))],
    });
    for (const data of [passwd, '../../../../etc/passwd']) {
      const res = await app.inject({ method: 'POST', url: '/retrain', payload: { data }, headers: as('admin') });
      expect(res.statusCode, data).toBe(400);
      expect(res.json().code).toBe('DATA_PATH_REFUSED');
      expect(res.body).not.toContain('root:x');
    }
    expect(f.retrains).toEqual([]);
  });
});

describe('refused admin calls leave an audit record', () => {
  it('a 401 and a 403 on admin routes are audited with who or which address, the route and the reason', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    expect((await app.inject({ method: 'POST', url: '/models/rollback', remoteAddress: '192.0.2.9' })).statusCode).toBe(
      401,
    );
    const forbidden = await app.inject({ method: 'POST', url: '/retrain', headers: as('read') });
    expect(forbidden.statusCode).toBe(403);
    expect(f.audits).toHaveLength(2);
    expect(f.audits[0]).toMatchObject({
      action: 'rollback',
      remote_address: '192.0.2.9',
      error_code: 'UNAUTHENTICATED',
    });
    expect(f.audits[0]!.reason).toContain('POST /models/rollback');
    expect(f.audits[1]).toMatchObject({ action: 'retrain', actor: 'read-user', error_code: 'FORBIDDEN' });
  });
});
