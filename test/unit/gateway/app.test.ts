// The whole gateway (buildGateway: every route group) with inject(): what cuts across the groups:
// auth and roles on every protected route, the rate limits, body limits, open routes, OpenAPI.
// Each group's own behaviour is in <group>.test.ts.
import { describe, expect, it } from 'vitest';
import { as, buildGateway, call, fakes, options } from './harness.js';
import type { Role } from '../../../gateway/auth.js';

describe('gateway routes', () => {
  it('rejects a body over the limit with 413', async () => {
    const app = await buildGateway(fakes().deps, { ...options, bodyLimit: 1024 });
    const res = await call(app, { method: 'POST', url: '/predict', payload: { text: 'a'.repeat(2000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('BODY_TOO_LARGE');
  });

  it('rate-limits with 429 and a code', async () => {
    const app = await buildGateway(fakes().deps, { ...options, rateLimitMax: 2 });
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['x-ratelimit-limit']).toBe('2');
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
  });

  it.each([
    ['GET', '/stats', 'read'],
    ['GET', '/stats/trend', 'read'],
    ['GET', '/models', 'read'],
    ['GET', '/models/2', 'read'],
    ['GET', '/drift/segments', 'read'],
    ['POST', '/predict', 'read'],
    ['POST', '/feedback', 'feedback'],
    ['POST', '/models/3/promote', 'admin'],
    ['POST', '/models/rollback', 'admin'],
    ['POST', '/model/reload', 'admin'],
    ['POST', '/retrain', 'admin'],
    ['GET', '/dashboard/sentiment', 'read'],
    ['GET', '/dashboard/versions', 'read'],
    ['GET', '/dashboard/alerts', 'read'],
    ['GET', '/dashboard/topics', 'read'],
    ['GET', '/dashboard/app-versions', 'read'],
    ['GET', '/dashboard/emerging', 'read'],
    ['GET', '/runs/0123abcd-0000/confusion.svg', 'read'],
  ] as const)('%s %s needs the %s role: 401 without or with an unknown token, 403 below it', async (m, url, need) => {
    const app = await buildGateway(fakes().deps, options);
    const payload =
      url === '/predict' ? { text: 'bagus' } : url === '/feedback' ? { review_id: 'r1', true_label: 'neutral' } : {};
    const send = (headers: Record<string, string>) => app.inject({ method: m, url, payload, headers });
    const none = await send({});
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('UNAUTHENTICATED');
    const unknown = await send({ authorization: 'Bearer not-a-token-anyone-was-given' });
    expect(unknown.statusCode).toBe(401);
    for (const role of ['read', 'feedback', 'admin'] as Role[]) {
      const rank = { read: 1, feedback: 2, admin: 3 };
      const res = await send(as(role));
      if (rank[role] >= rank[need]) expect(res.statusCode, role).toBeLessThan(300);
      else {
        expect(res.statusCode, role).toBe(403);
        expect(res.json().code).toBe('FORBIDDEN');
      }
    }
  });

  it('leaves health, readiness, metrics, docs and the status page open', async () => {
    const app = await buildGateway(fakes().deps, options);
    for (const url of ['/health', '/ready', '/metrics', '/docs/json', '/']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('rate-limits per token: one client exhausting its budget leaves another untouched', async () => {
    const app = await buildGateway(fakes().deps, { ...options, rateLimitMax: 2 });
    for (let i = 0; i < 2; i++) expect((await call(app, { method: 'GET', url: '/models' })).statusCode).toBe(200);
    expect((await call(app, { method: 'GET', url: '/models' })).statusCode).toBe(429);
    expect((await call(app, { method: 'GET', url: '/models' }, 'admin')).statusCode).toBe(200);
  });

  it('serves the OpenAPI document with every route group in it', async () => {
    const app = await buildGateway(fakes().deps, options);
    const doc = (await call(app, { method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    for (const p of ['/predict', '/feedback', '/models', '/models/{version}/promote', '/retrain', '/stats']) {
      expect(doc.paths, p).toHaveProperty(p);
    }
    expect(doc.paths).toHaveProperty('/dashboard/sentiment');
  });
});

describe('rate limits count every caller', () => {
  const limited = { ...options, rateLimitMax: 1000, rateLimitAnonymousMax: 300 };

  // The probe's finding: 350 requests without a token and 350 with a wrong one all got 401 and
  // spent nothing, because the role check ran before the limiter.
  it('counts requests without a token against the address: 401s until the budget is spent, then 429', async () => {
    const app = await buildGateway(fakes().deps, limited);
    const codes: number[] = [];
    for (let i = 0; i < 350; i++) {
      codes.push((await app.inject({ method: 'POST', url: '/predict', payload: { text: 'bagus' } })).statusCode);
    }
    expect(codes.slice(0, 300).every((c) => c === 401)).toBe(true);
    expect(codes.slice(300).every((c) => c === 429)).toBe(true);
    const last = await app.inject({ method: 'GET', url: '/models' });
    expect(last.statusCode).toBe(429);
    expect(last.json()).toMatchObject({ code: 'RATE_LIMITED', statusCode: 429 });
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('counts wrong tokens against the address too, and leaves valid tokens their own budget', async () => {
    const app = await buildGateway(fakes().deps, limited);
    const wrong = (i: number) => ({ authorization: `Bearer guess-${i}` });
    let refused = 0;
    for (let i = 0; i < 350; i++) {
      const res = await app.inject({ method: 'GET', url: '/models', headers: wrong(i) });
      if (res.statusCode === 429) refused++;
      else expect(res.statusCode).toBe(401);
    }
    expect(refused).toBe(50);
    // The address is spent for anyone without a valid token; a token holder from it is counted per token.
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(429);
    expect((await app.inject({ method: 'GET', url: '/models', headers: as('read') })).statusCode).toBe(200);
  });

  it('keeps each address its own budget', async () => {
    const app = await buildGateway(fakes().deps, { ...limited, rateLimitAnonymousMax: 2 });
    const from = (remoteAddress: string) => app.inject({ method: 'GET', url: '/stats', remoteAddress });
    expect([(await from('10.0.0.1')).statusCode, (await from('10.0.0.1')).statusCode]).toEqual([401, 401]);
    expect((await from('10.0.0.1')).statusCode).toBe(429);
    expect((await from('10.0.0.2')).statusCode).toBe(401);
  });

  it('counts requests to routes that do not exist', async () => {
    const app = await buildGateway(fakes().deps, { ...limited, rateLimitAnonymousMax: 2 });
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'GET', url: `/nope/${i}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/nope/3' })).statusCode).toBe(429);
  });
});
