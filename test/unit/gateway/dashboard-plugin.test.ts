// The dashboard route group on its own (gateway root + dashboardPlugin, which mounts gateway/dashboard.ts's
// panels and serves the status page), with inject(). The panels' arithmetic is in dashboard.test.ts.
import { describe, expect, it } from 'vitest';
import { dashboardPlugin } from '../../../gateway/plugins/dashboard.js';
import { call, fakes, pluginApp } from './harness.js';

describe('dashboard routes', () => {
  it('serves the status page and its assets without a token', async () => {
    const app = await pluginApp(dashboardPlugin, { ...fakes().deps, grafanaUrl: 'http://grafana.example:3000' });
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('http://grafana.example:3000');
    expect((await app.inject({ method: 'GET', url: '/assets/uplot.min.css' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/dashboard/apps' })).statusCode).toBe(401);
  });

  it('serves each panel with the filter it was asked for, defaulting to the last 30 days', async () => {
    const f = fakes();
    const app = await pluginApp(dashboardPlugin, f.deps);
    const res = await call(app, { method: 'GET', url: '/dashboard/sentiment?app=id.co.app&from=1000&to=900000000' });
    expect(res.json()).toEqual({ buckets: [{ t: 1_700_000_000_000, negative: 1, neutral: 2, positive: 4 }] });
    expect(f.filters[0]).toEqual({ app: 'id.co.app', from: 1000, to: 900_000_000, bucket: 'day' });
    await call(app, { method: 'GET', url: '/dashboard/apps' });
    expect(f.filters[1]!.to - f.filters[1]!.from).toBe(30 * 86_400_000);
    expect(f.filters[1]!.app).toBeNull();
    for (const [url, key] of [
      ['/dashboard/drift', 'windows'],
      ['/dashboard/timeline', 'events'],
      ['/dashboard/negatives', 'reviews'],
      ['/dashboard/terms', 'terms'],
      ['/dashboard/versions', 'versions'],
      ['/dashboard/alerts', 'alerts'],
      ['/dashboard/topics', 'topics'],
      ['/dashboard/app-versions', 'apps'],
      ['/dashboard/emerging', 'emerging'],
    ]) {
      const r = await call(app, { method: 'GET', url: url! });
      expect(r.statusCode, url).toBe(200);
      expect(r.json(), url).toHaveProperty(key!);
    }
    const bad = await call(app, { method: 'GET', url: '/dashboard/sentiment?from=5&to=4' });
    expect(bad.statusCode).toBe(400);
    expect((await call(app, { method: 'GET', url: '/dashboard/sentiment?bucket=week' })).statusCode).toBe(400);
    await app.close();
  });

  it('serves a run report as SVG that runs no script, 404s a missing one, refuses a path in the run id', async () => {
    const app = await pluginApp(dashboardPlugin, fakes().deps);
    const ok = await call(app, { method: 'GET', url: '/runs/0123abcd-0000/confusion.svg' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(ok.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await call(app, { method: 'GET', url: '/runs/0123abcd-0000/learning-curve.svg' })).statusCode).toBe(404);
    expect((await call(app, { method: 'GET', url: '/runs/..%2F..%2Fetc/confusion.svg' })).statusCode).toBe(400);
    expect((await call(app, { method: 'GET', url: '/runs/0123abcd-0000/passwd' })).statusCode).toBe(400);
    const js = await app.inject({ method: 'GET', url: '/assets/uplot.min.js' });
    expect(js.statusCode).toBe(200);
    expect(js.body).toContain('uPlot');
    await app.close();
  });
});
