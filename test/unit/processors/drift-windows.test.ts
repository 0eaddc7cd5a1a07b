import { describe, expect, it } from 'vitest';
import { listWindows } from '../../../processors/drift/windows.js';

const H = 3_600_000;
const pos = (o: number) => ({ partition: 0, offset: String(o) });

describe('tumbling windows', () => {
  it('closes a window only after its end plus grace', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 60_000 });
    w.add(10, 'a', pos(1), 0);
    w.add(H - 1, 'b', pos(2), 0);
    w.add(H + 59_999, 'c', pos(3), 0);
    expect(w.closeReady()).toEqual([]);
    w.add(H + 60_000, 'd', pos(4), 0);
    expect(w.closeReady()).toEqual([{ start: 0, end: H, state: ['a', 'b'] }]);
  });

  it('accepts records within grace and marks later ones late', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 60_000 });
    w.add(H + 30_000, 'x', pos(1), 0);
    expect(w.add(H - 5, 'in-grace', pos(2), 0)).toBe('ok');
    w.add(H + 60_000, 'y', pos(3), 0);
    expect(w.closeReady()[0]!.state).toEqual(['in-grace']);
    expect(w.add(H - 1, 'too-late', pos(4), 0)).toBe('late');
  });

  it('closes windows of a quiet stream on the wall clock', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 0 });
    w.add(100, 'a', pos(1), 1_000);
    expect(w.idle(1_000 + 5_000, 10_000)).toEqual([]);
    expect(w.idle(1_000 + H, 10_000).map((x) => x.state)).toEqual([['a']]);
  });

  it('keeps a window open while another partition is still behind', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 0, partitionIdleMs: 10_000 });
    w.add(10, 'p0', { partition: 0, offset: '1' }, 0);
    w.add(2 * H, 'p1-ahead', { partition: 1, offset: '1' }, 0);
    expect(w.closeReady()).toEqual([]);
    w.add(H + 5, 'p0-next', { partition: 0, offset: '2' }, 0);
    expect(w.closeReady().map((x) => x.state)).toEqual([['p0']]);
    w.release(0);
    // Both go quiet: after the idle time neither holds the watermark back.

    w.add(2 * H + 1, 'p1-more', { partition: 1, offset: '2' }, 5_000);
    expect(w.closeReady()).toEqual([]);
    expect(w.idle(20_000, 1_000_000).map((x) => x.start)).toEqual([H]);
  });

  it('lets an assigned partition that has not delivered yet hold the watermark back', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 0, partitionIdleMs: 10_000 });
    w.setPartitions([0, 1], 0);
    w.add(10, 'p0', { partition: 0, offset: '1' }, 0);
    w.add(2 * H, 'p0-later', { partition: 0, offset: '2' }, 0);
    expect(w.closeReady()).toEqual([]);
    w.add(2 * H, 'p1', { partition: 1, offset: '1' }, 1);
    expect(w.closeReady().map((x) => x.start)).toEqual([0]);
  });

  it('after the whole stream was quiet, gives every partition time to resume before it counts as idle', () => {
    const M = 60_000;
    const w = listWindows<string>({ sizeMs: M, graceMs: 0, partitionIdleMs: 10_000 });
    w.setPartitions([0, 1], 0);
    for (let m = 0; m < 5; m++) {
      w.add(m * M, `p0-${m}`, { partition: 0, offset: String(m) }, 1);
      w.add(m * M, `p1-${m}`, { partition: 1, offset: String(m) }, 1);
    }
    // A pause far longer than the idle time (a scorer outage; the wall-clock flush runs meanwhile),
    // then the backlog: partition 0 first.
    for (let wall = 5_000; wall < 300_000; wall += 2_500) w.idle(wall, 10_000);
    for (let m = 10; m < 20; m++) w.add(m * M, `p0-${m}`, { partition: 0, offset: String(m) }, 300_000);
    // The flush moved event time on with the clock through the pause: every window before it closed.
    expect(w.closeReady().map((x) => x.start / M)).toEqual([0, 1, 2, 3, 4]);
    for (const x of w.closeReady()) w.release(x.start);
    // Partition 1's backlog a moment later is still on time: nothing of it is late.
    for (let m = 10; m < 20; m++)
      expect(w.add(m * M, `p1-${m}`, { partition: 1, offset: String(m) }, 301_000)).toBe('ok');
    const closed = w.closeReady();
    expect(closed.find((x) => x.start === 10 * M)!.state).toEqual(['p0-10', 'p1-10']);
  });

  it('after a resume, a partition that stays silent stops holding the watermark once the idle time is up', () => {
    const M = 60_000;
    const w = listWindows<string>({ sizeMs: M, graceMs: 0, partitionIdleMs: 10_000 });
    w.setPartitions([0, 1], 0);
    w.add(0, 'p0-0', { partition: 0, offset: '0' }, 1);
    w.add(0, 'p1-0', { partition: 1, offset: '0' }, 1);
    w.add(10 * M, 'p0-10', { partition: 0, offset: '1' }, 300_000);
    expect(w.closeReady().map((x) => x.start)).toEqual([]);
    w.add(11 * M, 'p0-11', { partition: 0, offset: '2' }, 305_000);
    expect(w.closeReady().map((x) => x.start)).toEqual([]);
    w.add(12 * M, 'p0-12', { partition: 0, offset: '3' }, 310_000);
    expect(w.closeReady().map((x) => x.start / M)).toEqual([0, 10, 11]);
  });

  it('holds back commits to the oldest offset of an open window', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 0 });
    w.add(10, 'a', pos(5), 0);
    w.add(H + 10, 'b', pos(9), 0);
    expect(w.heldOffsets().get(0)).toBe(5n);
    const [closed] = w.closeReady();
    expect(w.heldOffsets().get(0)).toBe(5n); // closed but not yet stored: still held
    w.release(closed!.start);
    expect(w.heldOffsets().get(0)).toBe(9n);
  });

  it('refuses a record dated beyond the allowed clock skew without moving any window', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 0, maxSkewMs: 5 * 60_000 });
    const now = 10 * H;
    expect(w.add(now - 10, 'on-time', pos(1), now)).toBe('ok');
    expect(w.add(now + 23 * H, 'clock-wrong', pos(2), now)).toBe('future');
    expect(w.closeReady()).toEqual([]);
    expect(w.add(now - 5, 'still-on-time', pos(3), now)).toBe('ok');
    expect(w.openWindows()).toBe(1);
  });

  it('counts a (partition, offset) once: a redelivered record is a duplicate, even after a rebalance', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 0 });
    w.setPartitions([0, 1], 0);
    expect(w.add(10, 'a', pos(7), 0)).toBe('ok');
    expect(w.add(11, 'a-again', pos(7), 0)).toBe('duplicate');
    expect(w.add(12, 'older', pos(3), 0)).toBe('duplicate');
    w.setPartitions([1], 0);
    w.setPartitions([0, 1], 0);
    expect(w.add(13, 'a-after-rebalance', pos(7), 0)).toBe('duplicate');
    expect(w.add(14, 'next', pos(8), 0)).toBe('ok');
    expect(w.states()[0]).toEqual(['a', 'next']);
  });

  it('returns a closed window again until it is released (a failed store loses nothing)', () => {
    const w = listWindows<string>({ sizeMs: H, graceMs: 0 });
    w.add(10, 'a', pos(1), 0);
    w.add(H + 10, 'b', pos(2), 0);
    expect(w.closeReady().map((x) => x.start)).toEqual([0]);
    expect(w.closeReady().map((x) => x.start)).toEqual([0]);
    expect(w.add(20, 'late', pos(3), 0)).toBe('late');
    w.release(0);
    expect(w.closeReady()).toEqual([]);
  });

  it('holds offsets in O(partitions) per window', () => {
    const w = listWindows<number>({ sizeMs: H, graceMs: 0 });
    for (let i = 0; i < 10_000; i++) w.add(i, i, { partition: i % 4, offset: String(100 + i) }, 0);
    expect([...w.heldOffsets()].sort()).toEqual([
      [0, 100n],
      [1, 101n],
      [2, 102n],
      [3, 103n],
    ]);
  });
});
