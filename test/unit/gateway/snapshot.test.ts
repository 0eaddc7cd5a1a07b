// The gateway's cached views: N concurrent readers cost one load per refresh period.
import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../../gateway/snapshot.js';

describe('Snapshot', () => {
  it('50 concurrent readers share one load; the next period loads once more', async () => {
    let now = 0;
    let loads = 0;
    const s = new Snapshot(
      async () => {
        loads++;
        await new Promise((r) => setTimeout(r, 20));
        return loads;
      },
      5000,
      () => now,
    );
    expect(new Set(await Promise.all(Array.from({ length: 50 }, () => s.get())))).toEqual(new Set([1]));
    now = 4999;
    expect(await s.get()).toBe(1);
    now = 5000;
    expect(await Promise.all(Array.from({ length: 50 }, () => s.get()))).toEqual(Array(50).fill(2));
    expect(loads).toBe(2);
  });

  it('keeps no failure: every waiting reader sees it, and the next call loads again', async () => {
    let fail = true;
    const s = new Snapshot(async () => {
      if (fail) throw new Error('store down');
      return 'ok';
    }, 5000);
    const results = await Promise.allSettled([s.get(), s.get()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await s.get()).toBe('ok');
  });
});
