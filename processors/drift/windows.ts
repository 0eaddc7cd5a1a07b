// Event-time tumbling windows with a grace period. Pure (time is passed in).
// The watermark is the smallest, over partitions, of each partition's highest event time (one fast
// partition must not close windows that a slower one is still filling); a partition that has been
// idle for `idleMs` stops holding it back. A window [start, end) closes when watermark >= end + grace. A quiet stream still closes windows: `idle` advances the watermark by
// the wall-clock time that passed since the last record. Records older than the oldest window that
// can still take them are late: counted and reported, never silently dropped.

export interface Position {
  partition: number;
  offset: string;
}

export interface ClosedWindow<T> {
  start: number;
  end: number;
  items: T[];
}

export class TumblingWindows<T> {
  private readonly open = new Map<number, { items: T[]; positions: Position[] }>();
  private readonly partitions = new Map<number, { maxEvent: number; lastWall: number }>();
  private watermark = -Infinity;
  private lastEventWall = 0;
  /** Highest window end already closed: anything before it is late. */
  private closedUntil = -Infinity;

  constructor(
    readonly sizeMs: number,
    readonly graceMs: number,
    readonly partitionIdleMs = 60_000,
  ) {}

  private advance(wallNow: number): void {
    const all = [...this.partitions.values()];
    if (all.length === 0) return;
    const active = all.filter((p) => wallNow - p.lastWall < this.partitionIdleMs);
    // All quiet: nothing is behind any more, so the furthest partition sets the pace.
    const mark = active.length ? Math.min(...active.map((p) => p.maxEvent)) : Math.max(...all.map((p) => p.maxEvent));
    if (Number.isFinite(mark)) this.watermark = Math.max(this.watermark, mark);
  }

  windowStart(t: number): number {
    return Math.floor(t / this.sizeMs) * this.sizeMs;
  }

  /**
   * The partitions this instance owns (from the consumer group). An assigned partition that has not
   * delivered anything yet holds the watermark back until it goes idle, so a fast partition cannot
   * close windows a slower one has not even started on.
   */
  setPartitions(partitions: number[], wallNow: number): void {
    for (const p of partitions) if (!this.partitions.has(p)) this.partitions.set(p, { maxEvent: -Infinity, lastWall: wallNow });
    for (const p of [...this.partitions.keys()]) if (!partitions.includes(p)) this.partitions.delete(p);
  }

  /** Adds a record; returns 'late' when its window has already closed. */
  add(eventTime: number, item: T, pos: Position, wallNow: number): 'ok' | 'late' {
    const start = this.windowStart(eventTime);
    if (start + this.sizeMs <= this.closedUntil) return 'late';
    const w = this.open.get(start) ?? { items: [], positions: [] };
    w.items.push(item);
    w.positions.push(pos);
    this.open.set(start, w);
    const p = this.partitions.get(pos.partition) ?? { maxEvent: -Infinity, lastWall: wallNow };
    p.maxEvent = Math.max(p.maxEvent, eventTime);
    p.lastWall = wallNow;
    this.partitions.set(pos.partition, p);
    this.advance(wallNow);
    this.lastEventWall = wallNow;
    return 'ok';
  }

  /** Closes every window whose end + grace the watermark has passed (oldest first). */
  closeReady(): ClosedWindow<T>[] {
    const out: ClosedWindow<T>[] = [];
    for (const start of [...this.open.keys()].sort((a, b) => a - b)) {
      const end = start + this.sizeMs;
      if (this.watermark < end + this.graceMs) break;
      out.push({ start, end, items: this.open.get(start)!.items });
      this.open.delete(start);
      this.closedUntil = Math.max(this.closedUntil, end);
    }
    return out;
  }

  /** Wall-clock flush: after `idleMs` without records, event time is assumed to move with the clock. */
  idle(wallNow: number, idleMs: number): ClosedWindow<T>[] {
    this.advance(wallNow); // partitions that went quiet stop holding the watermark back
    if (this.open.size === 0 || wallNow - this.lastEventWall < idleMs) return this.closeReady();
    this.watermark += wallNow - this.lastEventWall;
    this.lastEventWall = wallNow;
    return this.closeReady();
  }

  /** Per partition, the smallest offset still held by an open window (commit up to it, not past). */
  heldOffsets(): Map<number, bigint> {
    const m = new Map<number, bigint>();
    for (const w of this.open.values()) {
      for (const p of w.positions) {
        const o = BigInt(p.offset);
        const cur = m.get(p.partition);
        if (cur === undefined || o < cur) m.set(p.partition, o);
      }
    }
    return m;
  }

  openWindows(): number {
    return this.open.size;
  }
}
