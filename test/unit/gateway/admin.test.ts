// The admin route group on its own (gateway root + adminPlugin), with inject(): every action audited,
// retrain data only from the allowed roots, and refused calls audited within a per-address budget.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adminPlugin, type AdminOptions } from '../../../gateway/plugins/admin.js';
import { AddressBudget } from '../../../gateway/plugins/audit.js';
import { UlasanError } from '../../../platform/errors.js';
import { as, call, fakes, pluginApp } from './harness.js';

// A data root of its own (the launcher's manifest directory in production), a manifest inside it,
// a file outside it, and a symbolic link from inside to outside.
const root = mkdtempSync(path.join(tmpdir(), 'ulasan-gw-root-'));
const outside = mkdtempSync(path.join(tmpdir(), 'ulasan-gw-outside-'));
const manifest = path.join(root, 'manifest.json');
writeFileSync(manifest, '{}');
writeFileSync(path.join(outside, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
mkdirSync(path.join(root, 'sets'));
symlinkSync(path.join(outside, 'passwd'), path.join(root, 'sets', 'link.json'));

function adminOptions(f: ReturnType<typeof fakes>, o: Partial<AdminOptions> = {}): AdminOptions {
  return { ...f.deps, retrainRoots: [root], refusedAuditMax: 20, refusedAuditWindowMs: 60_000, ...o };
}

describe('admin routes', () => {
  it('audits every admin action: who, what, from which Production to which, failures included', async () => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f));
    const ok = await call(
      app,
      { method: 'POST', url: '/models/3/promote', payload: { reason: 'looks good' } },
      'admin',
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json().events.map((e: { stage: string }) => e.stage)).toEqual(['Archived', 'Production']);
    expect((await call(app, { method: 'POST', url: '/model/reload' }, 'admin')).json()).toEqual({ model_version: '3' });
    f.deps.registry.rollback = async () => {
      throw new UlasanError('DATA_NOT_FOUND', 'nothing to roll back to');
    };
    const failed = await call(app, { method: 'POST', url: '/models/rollback' }, 'admin');
    expect(failed.json()).toMatchObject({ code: 'DATA_NOT_FOUND' });
    expect(f.audits.map((a) => [a.action, a.actor, a.from_version, a.to_version, a.outcome, a.error_code])).toEqual([
      ['promote', 'admin-user', '2', '3', 'done', null],
      ['reload', 'admin-user', '3', '3', 'done', null],
      ['rollback', 'admin-user', '3', '3', 'failed', 'DATA_NOT_FOUND'],
    ]);
    expect(f.audits[0]).toMatchObject({ reason: 'looks good', model_name: 'ulasan-compact' });
    // The audit record carries the gateway's request id (a UUID), one per request.
    expect(f.audits[0]!.action_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(new Set(f.audits.map((a) => a.action_id)).size).toBe(3);
  });

  it('POST /retrain puts one manual request on the retrain topic, audited, with its reason and manifest', async () => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f));
    const res = await call(
      app,
      { method: 'POST', url: '/retrain', payload: { reason: 'new slang', data: manifest } },
      'admin',
    );
    expect(res.statusCode).toBe(202);
    expect(f.retrains).toHaveLength(1);
    expect(f.retrains[0]).toMatchObject({
      request_id: res.json().request_id,
      model_name: 'ulasan-compact',
      reasons: ['manual'],
      details: { reason: 'new slang', manifest },
      requested_by: 'gateway:admin-user',
      force: true,
    });
    expect(f.audits.map((a) => [a.action, a.reason, a.outcome])).toEqual([['retrain', 'new slang', 'done']]);
    expect((await call(app, { method: 'POST', url: '/retrain', payload: { bogus: 1 } }, 'admin')).statusCode).toBe(400);
    expect(f.retrains).toHaveLength(1);
    await app.close();
  });

  it('POST /retrain with a teacher asks for a distillation, and refuses a teacher that is not a registry version', async () => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f));
    const payload = { reason: 'distil IndoBERT', teacher: 'indobert-base@production', unlabeled_rows: 5000 };
    const res = await call(app, { method: 'POST', url: '/retrain', payload }, 'admin');
    expect(res.statusCode).toBe(202);
    expect(f.retrains[0]!.details).toMatchObject({
      job: 'distill',
      teacher: 'indobert-base@production',
      unlabeled_rows: '5000',
    });
    for (const teacher of ['../../etc/passwd', 'x@y@z', '']) {
      const bad = await call(app, { method: 'POST', url: '/retrain', payload: { teacher } }, 'admin');
      expect(bad.statusCode).toBe(400);
    }
    expect(f.retrains).toHaveLength(1);
    await app.close();
  });

  it.each([
    ['a path climbing out of the root', '../../etc/passwd'],
    ['an absolute path outside the root', '/etc/passwd'],
    ['a path that climbs out after going in', `${root}/sets/../../${path.basename(outside)}/passwd`],
    ['a symbolic link out of the root', path.join(root, 'sets', 'link.json')],
  ])('refuses /retrain data given as %s with 400 DATA_PATH_REFUSED, audited, nothing requested', async (_, data) => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f));
    const res = await call(app, { method: 'POST', url: '/retrain', payload: { reason: 'x', data } }, 'admin');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('DATA_PATH_REFUSED');
    expect(res.body).not.toContain('root:x');
    expect(f.retrains).toEqual([]);
    expect(f.audits.map((a) => [a.action, a.outcome, a.error_code])).toEqual([
      ['retrain', 'failed', 'DATA_PATH_REFUSED'],
    ]);
  });

  it('refuses every /retrain data path when no root is configured', async () => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f, { retrainRoots: [] }));
    const res = await call(app, { method: 'POST', url: '/retrain', payload: { data: manifest } }, 'admin');
    expect(res.json().code).toBe('DATA_PATH_REFUSED');
    expect(f.retrains).toEqual([]);
  });

  // The probe's finding: {"data": 123} was coerced to "123" and started a real run.
  it.each([
    [{ data: 123 }, 'body/data must be string'],
    [{ data: ['a'] }, 'body/data must be string'],
    [{ reason: true }, 'body/reason must be string'],
    [{ unlabeled_rows: '5000', teacher: 'm@1' }, 'body/unlabeled_rows must be integer'],
  ])('refuses /retrain %j with 400 VALIDATION_FAILED naming the field', async (payload, message) => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f));
    const res = await call(app, { method: 'POST', url: '/retrain', payload }, 'admin');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', message });
    expect(f.retrains).toEqual([]);
  });

  it('takes a bare POST as no reason, and refuses a JSON null or a body on /model/reload', async () => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f));
    expect((await app.inject({ method: 'POST', url: '/models/rollback', headers: as('admin') })).statusCode).toBe(200);
    const json = { ...as('admin'), 'content-type': 'application/json' };
    const nul = await app.inject({ method: 'POST', url: '/retrain', headers: json, payload: 'null' });
    expect(nul.statusCode).toBe(400);
    const reload = await call(app, { method: 'POST', url: '/model/reload', payload: { force: true } }, 'admin');
    expect(reload.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: 'body/force is not a known field' });
    expect(f.retrains).toEqual([]);
  });

  it('audits every refused admin call: who or which address, the route, the reason', async () => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f));
    const post = (url: string, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url, headers, remoteAddress: '203.0.113.7' });
    expect((await post('/retrain', {})).statusCode).toBe(401);
    expect((await post('/models/3/promote', { authorization: 'Bearer guessed-token' })).statusCode).toBe(401);
    expect((await post('/model/reload', as('read'))).statusCode).toBe(403);
    expect((await post('/models/rollback', as('feedback'))).statusCode).toBe(403);
    expect(f.audits.map((a) => [a.action, a.actor, a.remote_address, a.outcome, a.error_code])).toEqual([
      ['retrain', '(no token)', '203.0.113.7', 'failed', 'UNAUTHENTICATED'],
      ['promote', '(unrecognised token)', '203.0.113.7', 'failed', 'UNAUTHENTICATED'],
      ['reload', 'read-user', '203.0.113.7', 'failed', 'FORBIDDEN'],
      ['rollback', 'feedback-user', '203.0.113.7', 'failed', 'FORBIDDEN'],
    ]);
    expect(f.audits.map((a) => a.reason)).toEqual([
      'refused POST /retrain: this route needs a bearer token',
      'refused POST /models/:version/promote: bearer token not recognised',
      'refused POST /model/reload: this route needs the admin role (the token has read)',
      'refused POST /models/rollback: this route needs the admin role (the token has feedback)',
    ]);
    expect(JSON.stringify(f.audits)).not.toContain('guessed-token');
    expect(f.retrains).toEqual([]);
  });

  it('writes at most N refusal records per address and window, and counts the dropped ones', async () => {
    const f = fakes();
    const app = await pluginApp(adminPlugin, adminOptions(f, { refusedAuditMax: 3 }));
    const from = (remoteAddress: string) => app.inject({ method: 'POST', url: '/retrain', remoteAddress });
    for (let i = 0; i < 10; i++) expect((await from('198.51.100.1')).statusCode).toBe(401);
    expect((await from('198.51.100.2')).statusCode).toBe(401);
    expect(f.audits.map((a) => a.remote_address)).toEqual([...Array(3).fill('198.51.100.1'), '198.51.100.2']);
    const metrics = await f.deps.metrics.metrics();
    expect(metrics).toMatch(/^ulasan_gateway_refused_audit_dropped_total 7$/m);
    expect(metrics).toMatch(
      /^ulasan_gateway_admin_refused_total\{route="POST \/retrain",code="UNAUTHENTICATED"\} 11$/m,
    );
  });

  it('answers a refused call the same when the audit write fails, and logs the failure', async () => {
    const f = fakes();
    const warned: string[] = [];
    f.deps.audit = async () => {
      throw new UlasanError('KAFKA_UNAVAILABLE');
    };
    const log = { warn: (_: unknown, msg: string) => void warned.push(msg), error: () => undefined };
    const app = await pluginApp(adminPlugin, { ...adminOptions(f), log: log as never });
    const res = await app.inject({ method: 'POST', url: '/retrain' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
    expect(warned).toEqual(['refused admin call not audited']);
  });
});

describe('AddressBudget', () => {
  it('gives each address max takes per window, a fresh budget in the next window, and tracks a bounded number', () => {
    let now = 0;
    const budget = new AddressBudget(2, 1000, 2, () => now);
    expect([budget.take('a'), budget.take('a'), budget.take('a')]).toEqual([true, true, false]);
    expect(budget.take('b')).toBe(true);
    expect(budget.take('c')).toBe(false); // a third address in this window: not tracked, not written
    now = 1000;
    expect([budget.take('a'), budget.take('c')]).toEqual([true, true]);
  });
});
