// Every Grafana panel's SQL (and every annotation query) runs on chdb against the real schema (all
// migrations), and returns the columns the panel expects. Grafana macros are replaced with what they
// expand to. The complaints dashboard's queries also run on rows inserted here (two versions of one
// app, topics, an alert), so a query that only parses but answers wrongly fails too.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../processors/kit/migrations.js';
import { openStore } from '../../platform/clickhouse/open.js';
import { toDateTime64 } from '../../platform/time.js';
import { ROOT, freshDir } from '../helpers.js';

interface Target {
  rawSql: string;
  ulasanExpectedColumns: string[];
}
interface Panel {
  title: string;
  targets: Target[];
}
interface Dashboard {
  panels: Panel[];
  annotations?: { list: { name: string; target: Target }[] };
}

const dir = path.join(ROOT, 'dashboards', 'json');
const dashboards = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Dashboard }));

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
      'Alerts: latest state',
      'Complaint topics over time',
      'Sentiment by app version: this release vs the previous one',
      'Topic share by app version',
    ])
      expect(titles).toContain(t);
  });

  it('runs every panel query on chdb and returns the expected columns', async () => {
    const store = await openStore({ database: 'ulasan', chdbPath: freshDir('dash') });
    try {
      await migrate(store);
      for (const d of dashboards) {
        const annotations = (d.json.annotations?.list ?? []).map((a) => ({ title: a.name, targets: [a.target] }));
        for (const p of [...d.json.panels, ...annotations]) {
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

  it('answers the complaints panels from alerts, topics and app versions', async () => {
    const store = await openStore({ database: 'ulasan', chdbPath: freshDir('dash-complaints') });
    try {
      await migrate(store);
      const now = Date.now();
      const at = (hoursAgo: number) => toDateTime64(now - hoursAgo * 3_600_000);
      const prediction = (i: number, version: string, label: string, topics: string[]) => ({
        review_id: `r${i}`,
        app_id: 'id.co.bayar',
        source: 'google_play',
        label,
        prob_negative: 0.1,
        prob_neutral: 0.1,
        prob_positive: 0.8,
        confidence: 0.8,
        model_name: 'ulasan-compact',
        model_version: '1',
        feature_set_version: '1',
        created_at: at(version === '1.0' ? 48 - i : 10 - i / 10),
        scored_at: at(0),
        kafka_partition: 0,
        kafka_offset: i,
        app_version: version,
        topics,
      });
      await store.insert('predictions', [
        ...Array.from({ length: 10 }, (_, i) => prediction(i, '1.0', i < 2 ? 'negative' : 'positive', [])),
        ...Array.from({ length: 10 }, (_, i) =>
          prediction(10 + i, '1.1', i < 8 ? 'negative' : 'positive', ['payment']),
        ),
      ]);
      await store.insert('alerts', [
        {
          alert_id: 'a1',
          app_id: 'id.co.bayar',
          kind: 'complaint_surge',
          app_version: '1.1',
          window_start: at(10),
          window_end: at(8),
          topics: ['payment'],
          status: 'open',
          reason: 'negative 20 % -> 80 %',
          opened_at: at(8),
          updated_at: at(8),
        },
      ]);
      const complaints = dashboards.find((d) => d.file === 'complaints.json')!.json;
      const all = [
        ...complaints.panels,
        ...(complaints.annotations?.list ?? []).map((a) => ({ title: a.name, targets: [a.target] })),
      ];
      const run = async (title: string) => {
        const p = all.find((x) => x.title === title) ?? all.find((x) => x.title.startsWith(title))!;
        return store.query<Record<string, unknown>>(expand(p.targets[0]!.rawSql));
      };
      const versions = await run('Sentiment by app version');
      expect(versions.map((r) => [r.app_version, Number(r.negative_share), r.previous_version])).toEqual([
        ['1.1', 0.8, '1.0'],
        ['1.0', 0.2, ''],
      ]);
      expect(Number(versions[0]!.negative_change)).toBeCloseTo(0.6, 6);
      expect(versions[1]!.negative_change).toBeNull();
      expect((await run('Topic share by app version')).map((r) => [r.app_version, r.topic, Number(r.share)])).toEqual([
        ['1.1', 'payment', 1],
      ]);
      expect((await run('Alerts: latest state')).map((r) => [r.status, r.kind, r.app_version])).toEqual([
        ['open', 'complaint_surge', '1.1'],
      ]);
      expect((await run('Alerts')).map((r) => r.text)).toEqual(['complaint_surge id.co.bayar: negative 20 % -> 80 %']);
      const topics = await run('Complaint topics over time');
      expect(topics.reduce((s, r) => s + Number(r.reviews), 0)).toBe(10);
    } finally {
      await store.close();
    }
  });
});
