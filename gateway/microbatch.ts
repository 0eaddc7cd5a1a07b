// Micro-batching without a fixed delay ("natural" batching): a request that finds the engine idle
// runs at once; requests that arrive while a run is in flight queue up and go together in the next
// run (up to maxSize). Light traffic pays no waiting; heavy traffic gets batched ONNX runs.
// enabled = false calls the engine once per request.
export class MicroBatcher<I, O> {
  private queue: { input: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly enabled: boolean,
    private readonly maxSize: number,
  ) {}

  submit(input: I): Promise<O> {
    if (!this.enabled) return this.run([input]).then((o) => o[0]!);
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets requests parsed in the same turn of the event loop join this run.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.queue.length === 0) return;
    this.inFlight = true;
    const batch = this.queue.splice(0, this.maxSize);
    try {
      const outs = await this.run(batch.map((b) => b.input));
      batch.forEach((b, i) => b.resolve(outs[i]!));
    } catch (err) {
      batch.forEach((b) => b.reject(err));
    } finally {
      this.inFlight = false;
      if (this.queue.length) this.schedule();
    }
  }
}
