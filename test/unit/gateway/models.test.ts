// The models route group on its own (gateway root + modelsPlugin), with inject().
import { describe, expect, it } from 'vitest';
import { modelsPlugin } from '../../../gateway/plugins/models.js';
import { call, fakes, pluginApp } from './harness.js';

describe('models routes', () => {
  it('lists models, shows one, and 404s an unknown version', async () => {
    const app = await pluginApp(modelsPlugin, fakes().deps);
    expect((await call(app, { method: 'GET', url: '/models' })).json().versions).toHaveLength(3);
    expect((await call(app, { method: 'GET', url: '/models/2' })).json()).toMatchObject({
      version: 2,
      stage: 'Production',
    });
    const missing = await call(app, { method: 'GET', url: '/models/9' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it('refuses a version that is not a positive integer, naming the parameter', async () => {
    const app = await pluginApp(modelsPlugin, fakes().deps);
    for (const url of ['/models/abc', '/models/0', '/models/1.5']) {
      const res = await call(app, { method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().message, url).toMatch(/^params\/version /);
    }
  });
});
