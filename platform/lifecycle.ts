// Graceful shutdown: SIGTERM/SIGINT run the registered closers in reverse order (consumers stop and
// commit before producers flush, before stores close), then the process exits.
import type { Logger } from './logger.js';

type Closer = { name: string; close: () => Promise<void> | void };

export class Lifecycle {
  private readonly closers: Closer[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {}

  onStop(name: string, close: Closer['close']): void {
    this.closers.push({ name, close });
  }

  stop(reason: string): Promise<void> {
    if (this.stopping) return this.stopping;
    this.logger.info({ reason }, 'shutting down');
    this.stopping = (async () => {
      for (const c of [...this.closers].reverse()) {
        try {
          await c.close();
          this.logger.debug({ component: c.name }, 'closed');
        } catch (err) {
          this.logger.error({ err, component: c.name }, 'error while closing');
        }
      }
    })();
    return this.stopping;
  }

  /** Installs signal handlers; a second signal exits at once. */
  installSignalHandlers(timeoutMs = 30_000): void {
    let count = 0;
    const handler = (sig: NodeJS.Signals): void => {
      count += 1;
      if (count > 1) process.exit(130);
      const timer = setTimeout(() => {
        this.logger.error({ timeoutMs }, 'shutdown timed out');
        process.exit(1);
      }, timeoutMs);
      timer.unref();
      void this.stop(sig).then(() => process.exit(0));
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  }
}
