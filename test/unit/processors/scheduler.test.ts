import { describe, expect, it } from 'vitest';
import { ManualClock, Scheduler } from '../../../platform/scheduler.js';

/** A health double that records what the scheduler reported, in order. */
function recordingHealth() {
  const events: string[] = [];
  return { events, waiting: (w: string) => events.push(`waiting ${w}`), ok: (w: string) => events.push(`ok ${w}`) };
}

describe('Scheduler, wall-clock punctuation on a fake clock', () => {
  it('runs every interval, with the time it ran at', async () => {
    const clock = new ManualClock(1_000);
    const s = new Scheduler(clock);
    const times: number[] = [];
    s.schedule(100, 'wall-clock', (t) => void times.push(t));
    await clock.tick(99);
    expect(times).toEqual([]);
    await clock.tick(1);
    await clock.tick(250);
    expect(times).toEqual([1_100, 1_200, 1_300]);
    await s.stop();
  });

  it('never runs a slow punctuator twice at once; the next run is armed when one ends', async () => {
    const clock = new ManualClock();
    const s = new Scheduler(clock);
    let running = 0;
    let most = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    s.schedule(10, 'wall-clock', async () => {
      runs += 1;
      running += 1;
      most = Math.max(most, running);
      if (runs === 1) await gate;
      running -= 1;
    });
    await clock.tick(100); // the first run is stuck: no second one starts
    expect(runs).toBe(1);
    expect(clock.pending).toBe(0);
    release();
    await new Promise((r) => setImmediate(r));
    await clock.tick(30);
    expect(runs).toBe(4);
    expect(most).toBe(1);
    await s.stop();
  });

  it('reports a failing punctuator to health, keeps its schedule, and reports the recovery', async () => {
    const clock = new ManualClock();
    const s = new Scheduler(clock);
    const health = recordingHealth();
    let calls = 0;
    s.schedule(
      50,
      'wall-clock',
      () => {
        calls += 1;
        if (calls === 1) throw new Error('ClickHouse down');
      },
      { name: 'flush', health },
    );
    await clock.tick(100);
    expect(calls).toBe(2);
    expect(health.events).toEqual(['waiting punctuator flush', 'ok punctuator flush']);
    await s.stop();
  });

  it('cancel stops further runs and waits for the one in flight', async () => {
    const clock = new ManualClock();
    const s = new Scheduler(clock);
    let finished = false;
    let release!: () => void;
    const p = s.schedule(10, 'wall-clock', async () => {
      await new Promise<void>((r) => (release = r));
      finished = true;
    });
    await clock.tick(10);
    const cancelled = p.cancel();
    let done = false;
    void cancelled.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false); // still waiting for the run in flight
    release();
    await cancelled;
    expect(finished).toBe(true);
    await clock.tick(1_000);
    expect(clock.pending).toBe(0);
  });

  it('refuses a non-positive interval and scheduling after stop', async () => {
    const s = new Scheduler(new ManualClock());
    expect(() => s.schedule(0, 'wall-clock', () => undefined)).toThrow(RangeError);
    await s.stop();
    expect(() => s.schedule(10, 'wall-clock', () => undefined)).toThrow(/stopped/);
  });
});

describe('Scheduler, event-time punctuation', () => {
  it('fires when the stream time passes a boundary, once per advance, never on the wall clock', async () => {
    const clock = new ManualClock();
    const s = new Scheduler(clock);
    const boundaries: number[] = [];
    s.schedule(1_000, 'event-time', (b) => void boundaries.push(b));
    await s.advance(1_500); // the first record sets the stream time: next boundary 2,000
    await clock.tick(10_000);
    expect(boundaries).toEqual([]);
    await s.advance(1_999);
    expect(boundaries).toEqual([]);
    await s.advance(2_000);
    expect(boundaries).toEqual([2_000]);
    await s.advance(1_000); // stream time never goes back: a late record fires nothing
    await s.advance(5_400); // jumped three boundaries: one punctuation, then aligned to 6,000
    expect(boundaries).toEqual([2_000, 3_000]);
    await s.advance(6_000);
    expect(boundaries).toEqual([2_000, 3_000, 6_000]);
    expect(s.eventTime).toBe(6_000);
    await s.stop();
  });

  it('is replay-deterministic: the same event times give the same punctuations', async () => {
    const run = async (): Promise<number[]> => {
      const s = new Scheduler(new ManualClock(Math.random() * 1e9));
      const out: number[] = [];
      s.schedule(86_400_000, 'event-time', (b) => void out.push(b));
      for (let t = 0; t < 10 * 86_400_000; t += 3_600_000 * 7) await s.advance(1_700_000_000_000 + t);
      await s.stop();
      return out;
    };
    const a = await run();
    expect(a.length).toBeGreaterThanOrEqual(9);
    expect(await run()).toEqual(a);
  });
});
