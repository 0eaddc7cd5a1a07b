// The status page's panels on ClickHouse (DashboardPort), and training reports from the artifact
// store's runs/ folder. Kept beside the routes so the gateway's wiring only passes the store in.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseStore } from '../platform/clickhouse/store.js';
import * as q from './dashboard-queries.js';
import * as insights from './dashboard-insights.js';
import { versionPanels, type DashboardPort } from './dashboard.js';
import { distinctiveTerms } from './terms.js';

export function clickhouseDashboardPort(s: ClickHouseStore, artifactDir: string, modelName: string): DashboardPort {
  const runFile = (runId: string, file: string): string => path.join(artifactDir, 'runs', runId, file);
  return {
    apps: (f) => q.apps(s, f),
    sentiment: (f) => q.sentiment(s, f),
    drift: (f) => q.drift(s, f),
    timeline: (f) => q.timeline(s, f),
    negatives: (f) => q.negatives(s, f),
    terms: async (f) => distinctiveTerms(await q.termCounts(s, f)),
    versions: async () => versionPanels(await q.versionHistory(s, modelName), (id, f) => existsSync(runFile(id, f))),
    runFile: async (id, f) => (existsSync(runFile(id, f)) ? readFileSync(runFile(id, f)) : null),
    alerts: (f) => insights.alerts(s, f),
    topics: (f) => insights.topicsOverTime(s, f),
    appVersions: async (f) => {
      const { counts, topics } = await insights.versionCounts(s, f);
      return insights.appVersions(counts, topics);
    },
    emerging: (f) => insights.emerging(s, f),
  };
}
