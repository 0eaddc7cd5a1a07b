// The status page's insight queries on chdb with the real schema (every migration): alerts read in
// their latest state, topics over time, sentiment and topic share per app version (this release vs
// the previous one, a 1 MB version string cut short), emerging words of a planted payment burst,
// and drift windows with the verdict's effect sizes and reason. Rows are inserted here: the
// scoring and alerts processors that write them in production are tested on their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../processors/kit/migrations.js';
import { openStore } from '../../platform/clickhouse/open.js';
import type { ClickHouseStore } from '../../platform/clickhouse/store.js';
import { toDateTime64 } from '../../platform/time.js';
import * as insights from '../../gateway/dashboard-insights.js';
import { drift, type Filter } from '../../gateway/dashboard-queries.js';
import { freshDir } from '../helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 30);
const FILTER: Filter = { app: null, from: NOW - 28 * DAY, to: NOW, bucket: 'day' };
const PAY = 'id.co.sample.bayar';
const STEADY = 'id.co.sample.belanja';
let store: ClickHouseStore;

interface Planned {
  id: string;
  app: string;
  at: number;
  label: 'negative' | 'neutral' | 'positive';
  text: string;
  version: string | null;
  topics: string[];
}

/** 28 days of both apps, 12 reviews a day; the payment app's last 2 days are a burst of payment complaints on 2.4.0. */
function plan(): Planned[] {
  const out: Planned[] = [];
  for (let d = 0; d < 28; d++)
    for (let i = 0; i < 12; i++)
      for (const app of [PAY, STEADY]) {
        const at = FILTER.from + d * DAY + i * 2 * HOUR;
        const burst = app === PAY && d >= 26 && i % 3 !== 0;
        const negative = burst || i % 4 === 0;
        const text = burst
          ? `saldo terpotong tapi pembayaran gagal nomor ${i}`
          : negative
            ? `aplikasi lambat sekali dan sering error hari ${d}`
            : `pengiriman cepat barang bagus hari ${d}`;
        out.push({
          id: `${app}-${d}-${i}`,
          app,
          at,
          label: negative ? 'negative' : 'positive',
          text,
          version: app === PAY ? (d >= 26 ? '2.4.0' : '2.3.1') : d === 27 && i === 0 ? 'x'.repeat(1 << 20) : '5.0.0',
          topics: burst ? ['payment'] : negative ? ['slow'] : ['delivery'],
        });
      }
  return out;
}

beforeAll(async () => {
  store = await openStore({ database: 'ulasan', chdbPath: freshDir('dash-insights') });
  await migrate(store);
  const rows = plan();
  const common = { source: 'google_play', kafka_partition: 0, kafka_offset: 0 };
  await store.insert(
    'reviews',
    rows.map((r) => ({
      ...common,
      review_id: r.id,
      app_id: r.app,
      text: r.text,
      created_at: toDateTime64(r.at),
      ingested_at: toDateTime64(r.at),
      app_version: r.version,
    })),
  );
  await store.insert(
    'predictions',
    rows.map((r) => ({
      ...common,
      review_id: r.id,
      app_id: r.app,
      label: r.label,
      prob_negative: r.label === 'negative' ? 0.9 : 0.05,
      prob_neutral: 0.05,
      prob_positive: r.label === 'positive' ? 0.9 : 0.05,
      confidence: 0.9,
      model_name: 'ulasan-compact',
      model_version: '1',
      feature_set_version: '1',
      created_at: toDateTime64(r.at),
      scored_at: toDateTime64(r.at + 1000),
      app_version: r.version,
      topics: r.topics,
    })),
  );
  const alert = (status: string, updated: number) => ({
    alert_id: 'a-1',
    app_id: PAY,
    kind: 'complaint_surge',
    app_version: '2.4.0',
    window_start: toDateTime64(NOW - 2 * DAY),
    window_end: toDateTime64(NOW - DAY),
    topics: ['payment'],
    status,
    reason: 'negative 25 % -> 75 % over 2 days, 89 % of them about payment: saldo terpotong',
    baseline_share: 0.25,
    current_share: 0.75,
    reviews: 24,
    statistic: 5.2,
    opened_at: toDateTime64(NOW - DAY),
    updated_at: toDateTime64(updated),
  });
  // Two states of one alert: FINAL keeps the latest (resolved).
  await store.insert('alerts', [alert('open', NOW - DAY), alert('resolved', NOW - HOUR)]);
  const features = (psi: number, p: number) =>
    JSON.stringify({
      predicted_label: { test: 'chi2', statistic: 40, p_value: p, threshold: 0.05, psi, drifted: p < 0.05 },
    });
  const win = (segment: string, end: number, drifted: boolean) => ({
    window_size: '1d',
    segment,
    window_start: toDateTime64(end - DAY),
    window_end: toDateTime64(end),
    rows: 12,
    role: 'test',
    tested: true,
    drifted,
    severity: drifted ? 1 : 0,
    drifted_features: drifted ? ['predicted_label'] : [],
    reason: drifted ? 'negative share 25 % -> 75 %' : '',
    features: features(drifted ? 0.9 : 0.01, drifted ? 1e-9 : 0.6),
    reference_model_version: '1',
    reference_start: toDateTime64(FILTER.from),
    reference_end: toDateTime64(FILTER.from + DAY),
    reference_rows: 12,
    model_version: '1',
    closed_at: toDateTime64(end),
  });
  await store.insert('drift_segment_windows', [
    win('all', NOW - 2 * DAY, false),
    win('all', NOW - DAY, true),
    win(PAY, NOW - DAY, true),
    win(STEADY, NOW - DAY, false),
  ]);
}, 120_000);

afterAll(async () => store?.close());

describe('status page insight queries on chdb', () => {
  it('reads each alert in its latest state, filtered by app and range', async () => {
    const all = await insights.alerts(store, FILTER);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ alert_id: 'a-1', status: 'resolved', topics: ['payment'], app_version: '2.4.0' });
    expect(all[0]!.window_start).toBe(NOW - 2 * DAY);
    expect(await insights.alerts(store, { ...FILTER, app: STEADY })).toEqual([]);
    expect(await insights.alerts(store, { ...FILTER, to: NOW - 3 * DAY })).toEqual([]);
  });

  it('counts reviews per topic over time, the burst in the payment app only', async () => {
    const pay = await insights.topicsOverTime(store, { ...FILTER, app: PAY });
    expect(pay.t).toHaveLength(28);
    const payment = pay.topics.find((t) => t.topic === 'payment')!;
    expect(payment.counts.slice(0, 26).every((n) => n === 0)).toBe(true);
    expect(payment.counts.slice(26)).toEqual([8, 8]);
    const steady = await insights.topicsOverTime(store, { ...FILTER, app: STEADY });
    expect(steady.topics.map((t) => t.topic).sort()).toEqual(['delivery', 'slow']);
  });

  it('compares each release with the previous one, and cuts a 1 MB version string', async () => {
    const apps = await insights.appVersions(
      ...(Object.values(await insights.versionCounts(store, FILTER)) as [
        insights.VersionCountRow[],
        insights.VersionTopicRow[],
      ]),
    );
    const pay = apps.find((a) => a.app_id === PAY)!;
    expect(pay.versions.map((v) => [v.app_version, v.reviews, v.previous_version])).toEqual([
      ['2.4.0', 24, '2.3.1'],
      ['2.3.1', 312, null],
    ]);
    expect(pay.versions[0]!.negative_share).toBeCloseTo(18 / 24, 9);
    expect(pay.versions[0]!.negative_change).toBeCloseTo(18 / 24 - 78 / 312, 9);
    expect(pay.versions[0]!.topics[0]).toMatchObject({ topic: 'payment', reviews: 16 });
    expect(pay.versions[0]!.topics[0]!.change).toBeCloseTo(16 / 24, 9);
    const steady = apps.find((a) => a.app_id === STEADY)!;
    expect(steady.versions.map((v) => v.app_version.length).sort()).toEqual([5, insights.VERSION_CHARS]);
  });

  it('surfaces the burst words in the payment app and nothing in the steady one', async () => {
    const panel = await insights.emerging(store, FILTER);
    expect(panel.recent_from).toBe(NOW - 7 * DAY);
    const pay = panel.apps.find((a) => a.app_id === PAY)!;
    expect(pay.terms.map((t) => t.term)).toEqual(expect.arrayContaining(['saldo', 'terpotong', 'pembayaran', 'gagal']));
    expect(pay.terms.map((t) => t.term)).not.toContain('lambat');
    expect(panel.apps.find((a) => a.app_id === STEADY)!.terms).toEqual([]);
  });

  it('gives drift windows their verdict, effect size (PSI) and reason, every segment or one app', async () => {
    const all = (await drift(store, FILTER)).filter((w) => w.segment === 'all');
    expect((await drift(store, FILTER)).map((w) => w.segment).sort()).toEqual(['all', 'all', PAY, STEADY].sort());
    expect(all.map((w) => [w.segment, w.drifted])).toEqual([
      ['all', false],
      ['all', true],
    ]);
    expect(all[1]).toMatchObject({ reason: 'negative share 25 % -> 75 %', drifted_features: ['predicted_label'] });
    expect(all[1]!.effects.predicted_label).toBeCloseTo(0.9, 6);
    expect(all[0]!.effects.predicted_label).toBeCloseTo(0.01, 6);
    expect((await drift(store, { ...FILTER, app: STEADY })).map((w) => w.drifted)).toEqual([false]);
  });
});
