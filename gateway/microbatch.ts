// Micro-batching: concurrent single predictions that arrive within `waitMs` of each other share one
// engine call (one ONNX run), which is where a batched model is cheap. waitMs = 0 turns it off.
export class MicroBatcher<I, O> {
  private queue: { input: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly waitMs: number,
    private readonly maxSize: number,
  ) {}

  submit(input: I): Promise<O> {
    if (this.waitMs <= 0) return this.run([input]).then((o) => o[0]!);
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.waitMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.run(batch.map((b) => b.input)).then(
      (outs) => batch.forEach((b, i) => b.resolve(outs[i]!)),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}
