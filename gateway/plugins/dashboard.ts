// The status page: the page itself at `/` with its chart assets (open: it holds no data), and its
// panels' read-only routes (read role), which gateway/dashboard.ts defines and this plugin mounts.
import type { FastifyPluginAsync } from 'fastify';
import { dashboardRoutes, type DashboardPort } from '../dashboard.js';
import { statusPage, STATUS_ASSETS } from '../status-page.js';
import { secured } from './errors.js';

export interface DashboardOptions {
  /** The status page's panels. */
  dashboard: DashboardPort;
  /** Linked from the status page. */
  grafanaUrl?: string;
}

export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, o) => {
  const page = statusPage({ grafana: o.grafanaUrl ?? 'http://127.0.0.1:3000', metrics: '/metrics' });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  // The charting library, served from node_modules: the page needs no build step and no CDN.
  for (const [file, asset] of Object.entries(STATUS_ASSETS)) {
    app.get(`/assets/${file}`, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body()),
    );
  }
  dashboardRoutes(app, o.dashboard, app.need('read'), secured);
};
