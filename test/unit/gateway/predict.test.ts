// The predict route group on its own (gateway root + predictPlugin), with inject().
import { describe, expect, it } from 'vitest';
import { predictPlugin } from '../../../gateway/plugins/predict.js';
import { call, fakes, pluginApp } from './harness.js';

const predictApp = (f = fakes(), o: { microBatch?: boolean; bodyLimit?: number } = {}) =>
  pluginApp(predictPlugin, { ...f.deps, maxBatch: 4, microBatch: o.microBatch ?? false }, o);

describe('predict routes', () => {
  it('POST /predict returns the sentiment, probabilities and model version, and logs asynchronously', async () => {
    const f = fakes();
    const app = await predictApp(f);
    const res = await call(app, {
      method: 'POST',
      url: '/predict',
      payload: { text: 'aplikasinya jelek', app_id: 'a' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ label: 'negative', model_version: '3', probabilities: { negative: 0.8 } });
    expect(f.logged[0]).toMatchObject({ app_id: 'a', source: 'gateway', label: 'negative' });
  });

  it('POST /predict/batch enforces the batch limit', async () => {
    const app = await predictApp();
    const ok = await call(app, {
      method: 'POST',
      url: '/predict/batch',
      payload: { items: [{ text: 'bagus' }, { text: 'jelek' }] },
    });
    expect(ok.json().predictions.map((p: { label: string }) => p.label)).toEqual(['positive', 'negative']);
    const tooMany = await call(app, {
      method: 'POST',
      url: '/predict/batch',
      payload: { items: Array.from({ length: 5 }, () => ({ text: 'x' })) },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['invalid JSON', '{"text": ', 'INVALID_JSON', 400],
    ['missing text', '{}', 'VALIDATION_FAILED', 400],
    ['whitespace text', '{"text": "   "}', 'VALIDATION_FAILED', 400],
    ['unknown field', '{"text": "a", "evil": 1}', 'VALIDATION_FAILED', 400],
  ])('rejects %s with a coded 400', async (_, payload, code, status) => {
    const app = await predictApp();
    const res = await call(app, {
      method: 'POST',
      url: '/predict',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code, statusCode: status });
  });

  // The probe's finding: fastify's default ajv coerced these to strings and answered 200.
  it.each([
    ['a number', '{"text": 123}', 'body/text must be string'],
    ['a boolean', '{"text": true}', 'body/text must be string'],
    ['an array', '{"text": ["a"]}', 'body/text must be string'],
    ['null', '{"text": null}', 'body/text must be string'],
    ['a numeric app_id', '{"text": "bagus", "app_id": 7}', 'body/app_id must be string'],
    ['a nested wrong type', '{"items": [{"text": 1}]}', 'body/items/0/text must be string'],
  ])('refuses %s where a string belongs, naming the field, and never runs the model', async (_, payload, message) => {
    const f = fakes();
    const app = await predictApp(f);
    const url = payload.includes('items') ? '/predict/batch' : '/predict';
    const res = await call(app, { method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', message });
    expect(f.calls).toEqual([]);
  });

  it('names an unknown field in the refusal', async () => {
    const res = await call(await predictApp(), { method: 'POST', url: '/predict', payload: { text: 'a', evil: 1 } });
    expect(res.json().message).toBe('body/evil is not a known field');
  });

  it('micro-batches concurrent /predict calls into one engine run', async () => {
    const f = fakes();
    const app = await predictApp(f, { microBatch: true });
    const res = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(app, { method: 'POST', url: '/predict', payload: { text: `bagus ${i}` } }),
      ),
    );
    expect(res.every((r) => r.statusCode === 200)).toBe(true);
    expect(f.calls.length).toBeLessThan(8);
    expect(f.calls.reduce((a, b) => a + b, 0)).toBe(8);
  });

  it('is reachable only through its plugin: the root alone serves no /predict', async () => {
    const { gatewayRoot } = await import('../../../gateway/app.js');
    const { options } = await import('./harness.js');
    const root = await gatewayRoot(options);
    const res = await call(root, { method: 'POST', url: '/predict', payload: { text: 'bagus' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
  });
});
