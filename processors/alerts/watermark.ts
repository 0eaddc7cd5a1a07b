// The event-time watermark over the scored topic's partitions, pure: the slowest partition's newest
// created_at minus the allowed lateness. Taking the minimum over partitions (not the newest review
// seen) is what makes a replay deterministic: a partition read ahead of the others cannot close a
// bucket the others are still filling. A partition that was empty when reading began does not hold
// the watermark until it delivers; one silent for `idleMs` (wall clock: a live topic where one
// partition gets nothing) stops holding it until it delivers again, but only once it was read to
// its end: a partition that is merely slow to fetch (a busy machine during a replay) keeps holding,
// or its records would all turn late. Silent for 10 x idleMs, it stops holding regardless (a tail
// of aborted-transaction records never reads as caught up).
export class Watermark {
  private readonly newest = new Map<number, number>();
  private readonly heardAt = new Map<number, number>();
  private readonly atEnd = new Set<number>();
  private readonly nextOffset = new Map<number, bigint>();
  private probedAt = -Infinity;

  constructor(
    private readonly latenessMs: number,
    private readonly idleMs: number,
    /** Partitions that had records when reading began, and when it began (wall clock). */
    expected: number[] = [],
    startedAt = 0,
  ) {
    for (const p of expected) this.heardAt.set(p, startedAt);
  }

  /** A record of `partition` (at `offset`) with this event time was read at wall-clock `now`. */
  saw(partition: number, eventTime: number, now: number, offset?: bigint): void {
    if (offset !== undefined) this.nextOffset.set(partition, offset + 1n);
    this.newest.set(partition, Math.max(this.newest.get(partition) ?? -Infinity, eventTime));
    this.heardAt.set(partition, now);
  }

  /** Whether `partition` has been read to its end (lag of at most one commit marker). */
  caughtUp(partition: number, yes: boolean): void {
    if (yes) this.atEnd.add(partition);
    else this.atEnd.delete(partition);
  }

  /**
   * Quiet partitions not known to be at their end, worth comparing with the topic's end offsets;
   * at most once per idleMs (the caller then fetches offsets).
   */
  dueForProbe(now: number): number[] {
    if (now - this.probedAt < this.idleMs) return [];
    const due = [...this.heardAt].filter(([p, t]) => now - t >= this.idleMs && !this.atEnd.has(p)).map(([p]) => p);
    if (due.length) this.probedAt = now;
    return due;
  }

  /** Whether reading `partition` has reached `high` (one commit marker short counts as there). */
  endsAt(partition: number, high: bigint): boolean {
    const next = this.nextOffset.get(partition);
    return next !== undefined && high - next <= 1n;
  }

  /** The watermark at wall-clock `now` (-Infinity while an expected partition has not delivered). */
  at(now: number): number {
    let min = Infinity;
    for (const [p, heard] of this.heardAt) {
      const silent = now - heard;
      if (silent >= 10 * this.idleMs || (silent >= this.idleMs && this.atEnd.has(p))) continue;
      min = Math.min(min, this.newest.get(p) ?? -Infinity);
    }
    if (min === Infinity) {
      // Every partition idle: the newest review seen anywhere bounds what can still arrive in order.
      for (const t of this.newest.values()) min = min === Infinity ? t : Math.max(min, t);
      if (min === Infinity) return -Infinity;
    }
    return min - this.latenessMs;
  }
}
