// The alert detector through simulated event-time histories (fixed seeds): the false-alarm rate on
// steady traffic, how soon bursts of a given size are caught (power), version regressions, the
// open/resolved lifecycle with its cooldown, and that a replay in another order gives the same alerts.
import { describe, expect, it } from 'vitest';
import { parseAlertsConfig, detectorConfig } from '../../../processors/alerts/config.js';
import { AlertDetector, type AlertDraft } from '../../../processors/alerts/detector.js';
import { observation } from '../../../processors/alerts/handler.js';
import {
  ACCEPTANCE,
  ACCEPTANCE_START,
  BURST_FROM,
  DAY,
  HOUR,
  RELEASE_FROM,
  scored,
  simulate,
  steadyApps,
  type SimReview,
  type Simulation,
} from '../../alerts-sim.js';

const START = Date.UTC(2026, 5, 1);
const config = detectorConfig(parseAlertsConfig({}));
const LATENESS = HOUR;

/** Runs a history through a fresh detector, advancing the watermark as reviews arrive. */
function run(reviews: SimReview[], c = config): AlertDraft[] {
  const d = new AlertDetector(c);
  const out: AlertDraft[] = [];
  let newest = -Infinity;
  for (const r of reviews) {
    d.observe(observation(scored(r))!);
    newest = Math.max(newest, r.created_at);
    out.push(...d.advance(newest - LATENESS));
  }
  out.push(...d.advance(newest + 2 * DAY));
  return out;
}

const opened = (a: AlertDraft[]) => a.filter((x) => x.status === 'open');

describe('alert detector: steady traffic', () => {
  it('raises at most 1 alert per 100 app-days (measured over 3 seeds x 8 apps x 45 days)', () => {
    let appDays = 0;
    const alerts: AlertDraft[] = [];
    for (const seed of [11, 12, 13]) {
      const s: Simulation = { apps: steadyApps(8, seed), start: START, days: 45, seed };
      alerts.push(...opened(run(simulate(s))));
      // The first baseline's days cannot alert (no baseline yet): not counted as judged app-days.
      appDays += s.apps.length * (s.days - 8);
    }
    const rate = (100 * alerts.length) / appDays;
    console.log(
      `steady traffic: ${alerts.length} alerts over ${appDays} judged app-days = ${rate.toFixed(2)} per 100 app-days`,
    );
    for (const a of alerts) console.log(`  false alarm: ${a.appId} ${a.kind} ${a.version ?? ''} ${a.topics.join(',')}`);
    expect(appDays).toBeGreaterThanOrEqual(300);
    expect(rate).toBeLessThanOrEqual(1);
  }, 120_000);
});

describe('alert detector: power', () => {
  const app = { appId: 'app.burst', perDay: 150, negShare: 0.15, releaseEvery: 1000 };
  const delay = (intensity: number, perDay: number, seed: number): number | null => {
    const from = 20 * DAY + 9 * HOUR;
    const bursts = [{ appId: app.appId, from, to: from + 3 * DAY, topic: 'payment', intensity }];
    const s: Simulation = { apps: [{ ...app, perDay }], start: START, days: 26, seed, bursts };
    const first = opened(run(simulate(s)))[0];
    return first ? (first.openedAt - (START + from)) / HOUR : null;
  };

  it('catches a payment burst within a day; reports the delay by burst size and volume', () => {
    const table: string[] = [];
    for (const perDay of [50, 150, 400]) {
      for (const intensity of [0.15, 0.25, 0.4]) {
        const delays = [1, 2, 3, 4, 5].map((seed) => delay(intensity, perDay, seed));
        const caught = delays.filter((x): x is number => x !== null);
        const median = caught.sort((a, b) => a - b)[Math.floor(caught.length / 2)];
        table.push(
          `${perDay}/day, ${Math.round(intensity * 100)} % complaints: caught ${caught.length}/5, median ${median ?? '-'} h`,
        );
        if (intensity >= 0.25 && perDay >= 150) expect(caught.every((h) => h <= 24)).toBe(true);
        if (intensity >= 0.25 && perDay >= 150) expect(caught.length).toBe(5);
      }
    }
    console.log(`power (burst starts 09:00, 6 h buckets, 1 day window):\n  ${table.join('\n  ')}`);
  }, 120_000);

  it('names the topic, quotes its share of the negatives, and resolves once the burst is over', () => {
    const from = 20 * DAY;
    const bursts = [{ appId: app.appId, from, to: from + 2 * DAY, topic: 'payment', intensity: 0.4 }];
    const alerts = run(simulate({ apps: [app], start: START, days: 30, seed: 7, bursts }));
    expect(opened(alerts)).toHaveLength(1);
    const [open, resolved] = alerts;
    expect(open).toMatchObject({ appId: app.appId, status: 'open', topics: ['payment'] });
    expect(['sentiment_turn', 'complaint_surge']).toContain(open!.kind);
    expect(open!.detail.topicShares[0]!.share).toBeGreaterThan(0.5);
    expect(resolved).toMatchObject({ alertId: open!.alertId, status: 'resolved' });
    expect(resolved!.updatedAt).toBeGreaterThan(START + from + 2 * DAY);
    expect(resolved!.updatedAt).toBeLessThanOrEqual(START + from + 4 * DAY);
  });
});

describe('alert detector: versions', () => {
  it('raises one version_regression naming the version and crash; steady releases stay quiet', () => {
    const apps = [
      { appId: 'app.release', perDay: 200, negShare: 0.15, releaseEvery: 7 },
      { appId: 'app.quiet', perDay: 200, negShare: 0.15, releaseEvery: 7 },
    ];
    const releases = [{ appId: 'app.release', version: '2.0.0-bad', from: 18 * DAY, crashShare: 0.3 }];
    const alerts = opened(run(simulate({ apps, start: START, days: 28, seed: 5, releases })));
    const reg = alerts.filter((a) => a.kind === 'version_regression');
    expect(reg).toHaveLength(1);
    expect(reg[0]).toMatchObject({ appId: 'app.release', version: '2.0.0-bad', topics: ['crash'] });
    expect(reg[0]!.openedAt - (START + 18 * DAY)).toBeLessThanOrEqual(DAY);
    expect(alerts.filter((a) => a.appId === 'app.quiet')).toEqual([]);
  });
});

describe('alert detector: lifecycle and determinism', () => {
  const app = { appId: 'app.x', perDay: 150, negShare: 0.15, releaseEvery: 1000 };
  const s = (seed: number): Simulation => ({
    apps: [app, { ...app, appId: 'app.y' }],
    start: START,
    days: 30,
    seed,
    bursts: [
      { appId: 'app.x', from: 12 * DAY, to: 13 * DAY, topic: 'login', intensity: 0.4 },
      // A second burst inside the cooldown after the first resolved would repeat the same outage.
      { appId: 'app.x', from: 20 * DAY, to: 22 * DAY, topic: 'login', intensity: 0.4 },
    ],
  });

  it('opens, resolves, and opens again for a later outage with a new id', () => {
    const alerts = run(simulate(s(3))).filter((a) => a.appId === 'app.x');
    expect(alerts.map((a) => a.status)).toEqual(['open', 'resolved', 'open', 'resolved']);
    expect(new Set(alerts.map((a) => a.alertId)).size).toBe(2);
  });

  it('gives the same alerts whatever order the partitions are read in (within the lateness)', () => {
    const reviews = simulate(s(4));
    // Two "partitions" read in chunks of 500, one running up to 40 minutes of event time ahead.
    const shuffled = [...reviews].sort(
      (a, b) =>
        a.created_at + (a.review_id.length % 2) * 40 * 60_000 - (b.created_at + (b.review_id.length % 2) * 40 * 60_000),
    );
    const ids = (a: AlertDraft[]) => a.map((x) => `${x.alertId}/${x.status}/${x.updatedAt}`);
    expect(ids(run(shuffled))).toEqual(ids(run(reviews)));
  });

  it('counts a review whose bucket was already judged as late and leaves the state alone', () => {
    const d = new AlertDetector(config);
    const o = observation(scored({ ...simulate(s(1))[0]!, created_at: START }))!;
    expect(d.observe(o)).toBe('counted');
    d.advance(START + 2 * DAY);
    expect(d.observe(o)).toBe('late');
    expect(d.stats.late).toBe(1);
  });
});

describe('alert detector: the acceptance history (pure twin of test/integration/alerts.test.ts)', () => {
  it('one turn alert for the burst, one version_regression for the crashing release, nothing else', () => {
    const alerts = run(simulate(ACCEPTANCE));
    const summary = alerts.map((a) => `${a.appId} ${a.kind} ${a.status} ${a.version ?? ''}`);
    expect(summary).toEqual([
      'app.release version_regression open 3.0.0',
      expect.stringMatching(/^app\.burst (sentiment_turn|complaint_surge) open $/),
      expect.stringMatching(/^app\.burst (sentiment_turn|complaint_surge) resolved $/),
    ]);
    const [release, burst] = alerts;
    expect(release!.topics).toEqual(['crash']);
    expect(release!.openedAt - (ACCEPTANCE_START + RELEASE_FROM)).toBeLessThanOrEqual(DAY);
    expect(burst!.topics).toContain('payment');
    expect(burst!.openedAt - (ACCEPTANCE_START + BURST_FROM)).toBeLessThanOrEqual(DAY);
  });
});
