// A value read at most once per period however many requests ask for it: concurrent callers share
// one load (single flight), and callers within the period get the value it returned. A failed load
// is not kept, so the next caller tries again.
export class Snapshot<T> {
  private kept: { at: number; value: T } | null = null;
  private inflight: Promise<T> | null = null;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    if (this.kept && this.now() - this.kept.at < this.periodMs) return Promise.resolve(this.kept.value);
    this.inflight ??= this.load()
      .then((value) => {
        this.kept = { at: this.now(), value };
        return value;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }
}
