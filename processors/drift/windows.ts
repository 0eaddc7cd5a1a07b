// Event-time tumbling windows with a grace period, holding a bounded state per window (sufficient
// statistics, never the records). Pure: time is passed in.
//
// The watermark is the smallest, over partitions, of each partition's highest event time (one fast
// partition must not close windows that a slower one is still filling); a partition idle for
// `partitionIdleMs` stops holding it back. A window [start, end) closes when watermark >= end + grace.
// A quiet stream still closes windows: `idle` advances the watermark by the wall-clock time that
// passed since the last record.
//
// Robustness: a record dated beyond wall clock + `maxSkewMs` is refused ('future') and moves
// nothing, so one bad clock cannot close the current window; a (partition, offset) at or below one
// already counted (redelivery after a rebalance or a failed batch) is refused ('duplicate'); a
// closed window stays held (its offsets too) until `release` says its row was stored.

export interface Position {
  partition: number;
  offset: string;
}

export interface ClosedWindow<S> {
  start: number;
  end: number;
  state: S;
}

export type AddResult = 'ok' | 'late' | 'future' | 'duplicate';

export interface WindowOptions<S, R> {
  sizeMs: number;
  graceMs: number;
  partitionIdleMs?: number;
  /** How far ahead of the wall clock an event time may be before the record is refused. */
  maxSkewMs?: number;
  create: () => S;
  add: (state: S, record: R) => void;
}

interface OpenWindow<S> {
  state: S;
  /** Per partition, the smallest offset this window holds: O(partitions), not O(records). */
  minOffsets: Map<number, bigint>;
}

export class TumblingWindows<S, R> {
  readonly sizeMs: number;
  readonly graceMs: number;
  private readonly partitionIdleMs: number;
  private readonly maxSkewMs: number;
  private readonly open = new Map<number, OpenWindow<S>>();
  private readonly partitions = new Map<number, { maxEvent: number; lastWall: number }>();
  /** Highest offset counted per partition; kept across rebalances (the windows still hold those). */
  private readonly counted = new Map<number, bigint>();
  private watermark = -Infinity;
  private lastEventWall = 0;
  /**
   * When records came again after the whole stream had been quiet for `partitionIdleMs`. Every
   * partition then gets a fresh `partitionIdleMs` to deliver before it counts as idle: a backlog
   * (say, after a scorer outage) reaches the partitions a few moments apart, and the first one to
   * resume must not close windows the others are about to fill (they would be partial and drift).
   */
  private resumedWall = -Infinity;
  /** Wall time of the last record (`lastEventWall` also moves with the wall-clock flush). */
  private lastRecordWall = 0;
  /** Highest window end already closed: anything before it is late. */
  private closedUntil = -Infinity;

  constructor(private readonly o: WindowOptions<S, R>) {
    this.sizeMs = o.sizeMs;
    this.graceMs = o.graceMs;
    this.partitionIdleMs = o.partitionIdleMs ?? 60_000;
    this.maxSkewMs = o.maxSkewMs ?? Infinity;
  }

  private advance(wallNow: number): void {
    let activeMin = Infinity;
    let allMax = -Infinity;
    for (const p of this.partitions.values()) {
      const quietSince = Math.max(p.lastWall, this.resumedWall);
      if (wallNow - quietSince < this.partitionIdleMs) activeMin = Math.min(activeMin, p.maxEvent);
      allMax = Math.max(allMax, p.maxEvent);
    }
    // All quiet: nothing is behind any more, so the furthest partition sets the pace.
    const mark = activeMin !== Infinity ? activeMin : allMax;
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
    for (const p of partitions) {
      if (!this.partitions.has(p)) this.partitions.set(p, { maxEvent: -Infinity, lastWall: wallNow });
    }
    for (const p of [...this.partitions.keys()]) if (!partitions.includes(p)) this.partitions.delete(p);
  }

  /** Adds a record to its window's state; anything but 'ok' left every window untouched. */
  add(eventTime: number, record: R, pos: Position, wallNow: number): AddResult {
    const offset = BigInt(pos.offset);
    if (offset <= (this.counted.get(pos.partition) ?? -1n)) return 'duplicate';
    this.counted.set(pos.partition, offset);
    if (eventTime > wallNow + this.maxSkewMs) return 'future';
    const p = this.partitions.get(pos.partition) ?? { maxEvent: -Infinity, lastWall: wallNow };
    this.partitions.set(pos.partition, p);
    const start = this.windowStart(eventTime);
    if (start + this.sizeMs <= this.closedUntil) return 'late';
    let w = this.open.get(start);
    if (!w) {
      w = { state: this.o.create(), minOffsets: new Map() };
      this.open.set(start, w);
    }
    this.o.add(w.state, record);
    const held = w.minOffsets.get(pos.partition);
    if (held === undefined || offset < held) w.minOffsets.set(pos.partition, offset);
    if (this.lastRecordWall > 0 && wallNow - this.lastRecordWall >= this.partitionIdleMs) this.resumedWall = wallNow;
    this.lastRecordWall = wallNow;
    p.maxEvent = Math.max(p.maxEvent, eventTime);
    p.lastWall = wallNow;
    this.advance(wallNow);
    this.lastEventWall = wallNow;
    return 'ok';
  }

  /**
   * Every window whose end + grace the watermark has passed (oldest first). They stay held until
   * `release`: a window whose row could not be stored is returned again by the next call.
   */
  closeReady(): ClosedWindow<S>[] {
    const out: ClosedWindow<S>[] = [];
    for (const start of [...this.open.keys()].sort((a, b) => a - b)) {
      const end = start + this.sizeMs;
      if (this.watermark < end + this.graceMs) break;
      out.push({ start, end, state: this.open.get(start)!.state });
      this.closedUntil = Math.max(this.closedUntil, end);
    }
    return out;
  }

  /** The window's row is stored: forget its state and stop holding its offsets. */
  release(start: number): void {
    this.open.delete(start);
  }

  /** Wall-clock flush: after `idleMs` without records, event time is assumed to move with the clock. */
  idle(wallNow: number, idleMs: number): ClosedWindow<S>[] {
    this.advance(wallNow); // partitions that went quiet stop holding the watermark back
    if (this.open.size === 0 || wallNow - this.lastEventWall < idleMs) return this.closeReady();
    this.watermark += wallNow - this.lastEventWall;
    this.lastEventWall = wallNow;
    return this.closeReady();
  }

  /** Per partition, the smallest offset still held by a window not yet stored (commit up to it). */
  heldOffsets(): Map<number, bigint> {
    const m = new Map<number, bigint>();
    for (const w of this.open.values()) {
      for (const [partition, o] of w.minOffsets) {
        const cur = m.get(partition);
        if (cur === undefined || o < cur) m.set(partition, o);
      }
    }
    return m;
  }

  openWindows(): number {
    return this.open.size;
  }

  /** The open windows' states (for memory accounting and tests). */
  states(): S[] {
    return [...this.open.values()].map((w) => w.state);
  }
}

/** Windows whose state is the list of records: for tests and small tools, never for the processor. */
export function listWindows<R>(o: Omit<WindowOptions<R[], R>, 'create' | 'add'>): TumblingWindows<R[], R> {
  return new TumblingWindows<R[], R>({ ...o, create: () => [], add: (s, r) => void s.push(r) });
}
