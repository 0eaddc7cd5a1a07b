// Punctuation owned by the kit (Kafka Streams' ProcessorContext.schedule): a processor asks for work
// every N ms of wall-clock or of event time and never runs a timer of its own. The scheduler starts
// and stops with the processor, never runs one punctuator twice at once, and reports a failing
// punctuator to health (a wait that becomes a stall) instead of swallowing it.
import type { Logger } from './logger.js';

/** Wall-clock punctuators fire on the clock; event-time ones when the stream's time passes a boundary. */
export type PunctuationKind = 'wall-clock' | 'event-time';

/** The time source; tests pass a fake one (see `ManualClock`). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What a punctuator reports its failures and recoveries to (the processor's `Health`). */
export interface PunctuationHealth {
  waiting(what: string): void;
  ok(what: string): void;
}

export interface ScheduleOptions {
  /** Shown in logs and health ("punctuator <name>"). */
  name?: string;
  health?: PunctuationHealth;
}

/** `time` is the wall-clock time, or for event-time the boundary that the stream time passed. */
export type PunctuateFn = (time: number) => Promise<void> | void;

export interface Punctuation {
  readonly name: string;
  readonly kind: PunctuationKind;
  readonly every: number;
  /** Stops further runs and waits for one in flight. */
  cancel(): Promise<void>;
}

export type Schedule = (every: number, kind: PunctuationKind, fn: PunctuateFn, o?: ScheduleOptions) => Punctuation;

interface Entry {
  name: string;
  kind: PunctuationKind;
  every: number;
  fn: PunctuateFn;
  health?: PunctuationHealth;
  /** Wall-clock: the pending timer. Event-time: the next boundary to pass. */
  timer?: unknown;
  next: number;
  running: Promise<void> | null;
  cancelled: boolean;
}

export class Scheduler {
  private readonly entries = new Set<Entry>();
  private streamTime = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly log?: Logger,
  ) {}

  /** The processor context's `schedule`. */
  readonly schedule: Schedule = (every, kind, fn, o = {}) => {
    if (!Number.isFinite(every) || every <= 0)
      throw new RangeError(`punctuation interval must be > 0 ms, got ${every}`);
    if (this.stopped) throw new Error('scheduler is stopped');
    const name = o.name ?? `every ${every} ms`;
    const e: Entry = { name, kind, every, fn, health: o.health, next: 0, running: null, cancelled: false };
    this.entries.add(e);
    if (kind === 'wall-clock') this.arm(e);
    else e.next = Number.isFinite(this.streamTime) ? boundaryAfter(this.streamTime, every) : Number.NaN;
    return { name: e.name, kind, every, cancel: () => this.cancel(e) };
  };

  /** The stream's time moved to `eventTime` (ms); fires, in order, each event-time punctuator it passed. */
  async advance(eventTime: number): Promise<void> {
    if (!(eventTime > this.streamTime)) return;
    this.streamTime = eventTime;
    for (const e of this.entries) {
      if (e.kind !== 'event-time' || e.cancelled) continue;
      if (Number.isNaN(e.next)) e.next = boundaryAfter(eventTime, e.every);
      else if (eventTime >= e.next) {
        const boundary = e.next;
        // Like Kafka Streams: one punctuation per advance, however many intervals it jumped.
        e.next = boundaryAfter(eventTime, e.every);
        await this.run(e, boundary);
      }
    }
  }

  /** The highest event time seen (-Infinity before the first). */
  get eventTime(): number {
    return this.streamTime;
  }

  /** Cancels every punctuator and waits for those in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.entries].map((e) => this.cancel(e)));
  }

  private arm(e: Entry): void {
    e.next = this.clock.now() + e.every;
    e.timer = this.clock.setTimeout(() => {
      e.timer = undefined;
      if (e.cancelled) return;
      // The next run is armed once this one ends: a slow punctuator is never run twice at once.
      void this.run(e, this.clock.now()).finally(() => {
        if (!e.cancelled) this.arm(e);
      });
    }, e.every);
  }

  private async run(e: Entry, time: number): Promise<void> {
    const what = `punctuator ${e.name}`;
    const attempt = (async () => {
      try {
        await e.fn(time);
        e.health?.ok(what);
      } catch (err) {
        e.health?.waiting(what);
        this.log?.error({ err, punctuator: e.name }, 'punctuator failed; it runs again at its next interval');
      }
    })();
    e.running = attempt;
    await attempt;
    e.running = null;
  }

  private async cancel(e: Entry): Promise<void> {
    e.cancelled = true;
    if (e.timer !== undefined) this.clock.clearTimeout(e.timer);
    e.timer = undefined;
    this.entries.delete(e);
    await e.running;
  }
}

/** The first multiple of `every` strictly after `t`. */
function boundaryAfter(t: number, every: number): number {
  return (Math.floor(t / every) + 1) * every;
}

/** A clock that moves only when told to: `tick(ms)` fires the timers that fall due, in time order. */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Advances by `ms`, firing due timers one by one and letting their promise chains settle in between. */
  async tick(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
      // setImmediate runs after every queued microtask: the punctuation's promise chain settles.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.time = until;
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }
}
