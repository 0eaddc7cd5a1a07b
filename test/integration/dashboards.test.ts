// Every Grafana panel's SQL runs on chdb against the real schema (all migrations), and returns the
// columns the panel expects. Grafana macros are replaced with what they expand to.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../processors/shared/clickhouse/migrations.js';
import { openStore } from '../../processors/shared/clickhouse/open.js';
import { ROOT, freshDir } from '../helpers.js';

interface Target {
  rawSql: string;
  ulasanExpectedColumns: string[];
}
interface Panel {
  title: string;
  targets: Target[];
}

const dir = path.join(ROOT, 'dashboards', 'json');
const dashboards = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { panels: Panel[] } }));

function expand(sql: string): string {
  return sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, '$1 >= now() - INTERVAL 7 DAY AND $1 <= now()')
    .replace(/\$__fromTime/g, 'now() - INTERVAL 7 DAY')
    .replace(/\$__toTime/g, 'now()');
}

describe('Grafana dashboards', () => {
  it('has panels for every surface the users need', () => {
    const titles = dashboards.flatMap((d) => d.json.panels.map((p) => p.title)).join(' | ');
    for (const t of [
      'Sentiment over time per app',
      'volume',
      'Model version timeline',
      'latency',
      'Dead letters',
      'Drift',
      'Feedback error rate',
      'Retrain triggers',
      'Training runs',
      'Drift per segment',
      'Admin audit trail',
    ])
      expect(titles).toContain(t);
  });

  it('runs every panel query on chdb and returns the expected columns', async () => {
    const store = await openStore({ database: 'ulasan', chdbPath: freshDir('dash') });
    try {
      await migrate(store);
      for (const d of dashboards) {
        for (const p of d.json.panels) {
          for (const t of p.targets) {
            const cols = (await store.query<{ name: string }>(`DESCRIBE (${expand(t.rawSql)})`)).map((c) => c.name);
            expect(cols, `${d.file}: ${p.title}`).toEqual(t.ulasanExpectedColumns);
            await expect(store.query(expand(t.rawSql)), `${d.file}: ${p.title}`).resolves.toBeDefined();
          }
        }
      }
    } finally {
      await store.close();
    }
  });
});
