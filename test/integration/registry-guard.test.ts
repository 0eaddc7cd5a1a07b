// The schema registry behind its guard (stack/registry-guard.ts), on the real stack: a compatibility
// change without credentials or as a processor identity is refused and changes nothing; the admin's
// works; deletes are the admin's too; registering a version stays open but BACKWARD-checked.
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '../../platform/serde/serde.js';
import { kafkaCredentials, layoutFor } from '../../stack/services.js';
import { ROOT, stackAddresses, uniquePrefix } from '../helpers.js';

const { registryUrl } = stackAddresses();
const users = kafkaCredentials(layoutFor(ROOT)).users;
const subject = `${uniquePrefix()}guard-value`;
const JSON_TYPE = 'application/vnd.schemaregistry.v1+json';
const basic = (u: { username: string; password: string }): string =>
  `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;

async function call(method: string, path: string, body?: unknown, auth?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': JSON_TYPE };
  if (auth) headers.authorization = auth;
  return fetch(`${registryUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function compatibility(): Promise<string> {
  const res = await call('GET', `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { compatibilityLevel: string }).compatibilityLevel;
}

const schema = (fields: unknown[]): { schema: string } => ({
  schema: JSON.stringify({ type: 'record', name: 'Guarded', fields }),
});

afterAll(async () => {
  await call('DELETE', `/subjects/${encodeURIComponent(subject)}`, undefined, basic(users['ulasan-admin']));
});

describe('schema registry guard', () => {
  it('registers a first version without credentials, under the global BACKWARD level', async () => {
    const res = await call(
      'POST',
      `/subjects/${encodeURIComponent(subject)}/versions`,
      schema([{ name: 'a', type: 'string' }]),
    );
    expect(res.status).toBe(200);
    expect(await compatibility()).toBe('BACKWARD');
    const global = (await (await call('GET', '/config')).json()) as { compatibilityLevel: string };
    expect(global.compatibilityLevel).toBe('BACKWARD');
  });

  it('refuses compatibility NONE without credentials (401) and leaves the level unchanged', async () => {
    const res = await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'NONE' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await call('PUT', '/config', { compatibility: 'NONE' })).status).toBe(401);
    expect(await compatibility()).toBe('BACKWARD');
  });

  it('refuses it to a processor identity (403) and to a wrong admin password (401)', async () => {
    for (const who of ['ulasan-scoring', 'ulasan-review-store', 'ulasan-scraper'] as const) {
      const res = await call(
        'PUT',
        `/config/${encodeURIComponent(subject)}`,
        { compatibility: 'NONE' },
        basic(users[who]),
      );
      expect({ who, status: res.status }).toEqual({ who, status: 403 });
    }
    const wrong = basic({ username: 'ulasan-admin', password: `${users['ulasan-admin'].password}x` });
    expect((await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'NONE' }, wrong)).status).toBe(
      401,
    );
    expect(await compatibility()).toBe('BACKWARD');
  });

  it('so an incompatible version is still refused by the registry itself', async () => {
    const res = await call(
      'POST',
      `/subjects/${encodeURIComponent(subject)}/versions`,
      schema([{ name: 'b', type: 'int' }]),
    );
    expect(res.status).toBe(409);
  });

  it('refuses deletes and rule changes on the v3 API without the admin', async () => {
    expect((await call('DELETE', `/subjects/${encodeURIComponent(subject)}`)).status).toBe(401);
    expect(
      (await call('DELETE', `/subjects/${encodeURIComponent(subject)}`, undefined, basic(users['ulasan-scoring'])))
        .status,
    ).toBe(403);
    const v3 = registryUrl.replace('/apis/ccompat/v7', '/apis/registry/v3');
    const rule = await fetch(`${v3}/admin/rules/COMPATIBILITY`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ruleType: 'COMPATIBILITY', config: 'NONE' }),
    });
    expect(rule.status).toBe(401);
    const versions = await call('GET', `/subjects/${encodeURIComponent(subject)}/versions`);
    expect(await versions.json()).toEqual([1]);
  });

  it('refuses a dot-segment path that the registry would normalise into /config', async () => {
    const url = new URL(registryUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'PUT',
          path: `${url.pathname}/subjects/${subject}/versions/../../../config`,
          headers: { 'content-type': JSON_TYPE },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ compatibility: 'NONE' }));
    });
    expect(status).toBe(400);
    expect(await compatibility()).toBe('BACKWARD');
  });

  it("accepts the admin's change, and the admin sets it back", async () => {
    const admin = basic(users['ulasan-admin']);
    const res = await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'FULL' }, admin);
    expect(res.status).toBe(200);
    expect(await compatibility()).toBe('FULL');
    // A processor's serde refuses to register under a level that does not protect older readers.
    // (FORWARD, not NONE: Apicurio's ccompat takes a subject's NONE as "no rule of its own", and the
    // global BACKWARD then applies; the global level is not touched here, other tests share it.)
    const forward = await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'FORWARD' }, admin);
    expect(forward.status).toBe(200);
    const topic = subject.replace(/-value$/, '');
    const err = await new AvroSerde(registryUrl)
      .register(topic, 'Guarded', { type: 'record', name: 'Guarded', fields: [{ name: 'a', type: 'string' }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });
    expect((err as Error).message).toMatch(/is FORWARD, not BACKWARD/);
    expect(
      (await call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: 'BACKWARD' }, admin)).status,
    ).toBe(200);
    expect(await compatibility()).toBe('BACKWARD');
  });
});
