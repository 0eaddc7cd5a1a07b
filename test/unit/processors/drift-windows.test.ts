import { describe, expect, it } from 'vitest';
import { TumblingWindows } from '../../../processors/drift/windows.js';

const H = 3_600_000;
const pos = (o: number) => ({ partition: 0, offset: String(o) });

describe('tumbling windows', () => {
  it('closes a window only after its end plus grace', () => {
    const w = new TumblingWindows<string>(H, 60_000);
    w.add(10, 'a', pos(1), 0);
    w.add(H - 1, 'b', pos(2), 0);
    w.add(H + 59_999, 'c', pos(3), 0);
    expect(w.closeReady()).toEqual([]);
    w.add(H + 60_000, 'd', pos(4), 0);
    expect(w.closeReady()).toEqual([{ start: 0, end: H, items: ['a', 'b'] }]);
  });

  it('accepts records within grace and marks later ones late', () => {
    const w = new TumblingWindows<string>(H, 60_000);
    w.add(H + 30_000, 'x', pos(1), 0);
    expect(w.add(H - 5, 'in-grace', pos(2), 0)).toBe('ok');
    w.add(H + 60_000, 'y', pos(3), 0);
    expect(w.closeReady()[0]!.items).toEqual(['in-grace']);
    expect(w.add(H - 1, 'too-late', pos(4), 0)).toBe('late');
  });

  it('closes windows of a quiet stream on the wall clock', () => {
    const w = new TumblingWindows<string>(H, 0);
    w.add(100, 'a', pos(1), 1_000);
    expect(w.idle(1_000 + 5_000, 10_000)).toEqual([]);
    expect(w.idle(1_000 + H, 10_000).map((x) => x.items)).toEqual([['a']]);
  });

  it('keeps a window open while another partition is still behind', () => {
    const w = new TumblingWindows<string>(H, 0, 10_000);
    w.add(10, 'p0', { partition: 0, offset: '1' }, 0);
    w.add(2 * H, 'p1-ahead', { partition: 1, offset: '1' }, 0);
    expect(w.closeReady()).toEqual([]);
    w.add(H + 5, 'p0-next', { partition: 0, offset: '2' }, 0);
    expect(w.closeReady().map((x) => x.items)).toEqual([['p0']]);
    // Both go quiet: after the idle time neither holds the watermark back.

    w.add(2 * H + 1, 'p1-more', { partition: 1, offset: '2' }, 5_000);
    expect(w.closeReady()).toEqual([]);
    expect(w.idle(20_000, 1_000_000).map((x) => x.start)).toEqual([H]);
  });

  it('lets an assigned partition that has not delivered yet hold the watermark back', () => {
    const w = new TumblingWindows<string>(H, 0, 10_000);
    w.setPartitions([0, 1], 0);
    w.add(10, 'p0', { partition: 0, offset: '1' }, 0);
    w.add(2 * H, 'p0-later', { partition: 0, offset: '2' }, 0);
    expect(w.closeReady()).toEqual([]);
    w.add(2 * H, 'p1', { partition: 1, offset: '1' }, 1);
    expect(w.closeReady().map((x) => x.start)).toEqual([0]);
  });

  it('holds back commits to the oldest offset of an open window', () => {
    const w = new TumblingWindows<string>(H, 0);
    w.add(10, 'a', pos(5), 0);
    w.add(H + 10, 'b', pos(9), 0);
    expect(w.heldOffsets().get(0)).toBe(5n);
    w.closeReady();
    expect(w.heldOffsets().get(0)).toBe(9n);
  });
});
