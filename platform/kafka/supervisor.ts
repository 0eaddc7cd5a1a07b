// Keeps a kafkajs consumer consuming across the crashes kafkajs gives up on.
//
// kafkajs restarts a crashed consumer only when the error is retriable, and `restartOnFailure` is
// asked only then: a non-retriable crash leaves the consumer stopped for good, with nothing but a
// `consumer.crash` event (restart: false). A broker restart with SASL/SCRAM produces exactly that:
// the broker closes connections during the handshake, kafkajs reports the closed socket as a
// non-retriable KafkaJSSASLAuthenticationError (kafkajs issue #1550, unfixed in 2.2.4), and the
// processors of the last soak sat still for 8 minutes until killed by hand.
//
// The supervisor rebuilds such a consumer in place (stop, connect, run with the same handlers and
// subscriptions), with capped exponential backoff. It also acts on a hang: a restart kafkajs
// announced that is followed by neither a group join nor another crash within `hangMs`.
// In place, so every holder of the Consumer (commits, pause/resume, stop) keeps a working object.
// Exactly-once is untouched: a rebuilt consumer rejoins the group and resumes from the committed
// offsets, and a transaction left open by the crashed attempt is aborted by its own handler.
import type { Logger } from '../logger.js';
import type { Consumer, ConsumerRunConfig } from './kafka.js';

export interface SupervisorOptions {
  log: Logger;
  /** A kafkajs restart followed by no group join and no crash within this long is a hang. */
  hangMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Told of every rebuild, with its reason (a metric, health). */
  onRebuild?: (reason: string) => void;
}

const messageOf = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

export class ConsumerSupervisor {
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private hangTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  /** Rebuilds so far (tests and logs). */
  rebuilds = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly runConfig: ConsumerRunConfig,
    private readonly o: SupervisorOptions,
  ) {
    this.backoffMs = o.initialBackoffMs ?? 1000;
  }

  /** Runs the consumer under supervision; resolves when kafkajs' run() does (the first start). */
  async run(): Promise<void> {
    const { consumer } = this;
    consumer.on(consumer.events.CRASH, (e) => this.crashed(e.payload.error, e.payload.restart));
    consumer.on(consumer.events.GROUP_JOIN, () => this.joined());
    // The holders stop the consumer with disconnect(); supervision must end first, or a pending
    // rebuild would connect a consumer its owner just closed.
    const disconnect = consumer.disconnect.bind(consumer);
    consumer.disconnect = async () => {
      this.stop();
      await disconnect();
    };
    await consumer.run(this.runConfig);
  }

  /** Ends supervision (no rebuild after this); the consumer itself is left as it is. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.hangTimer);
  }

  private crashed(error: unknown, restart: boolean): void {
    clearTimeout(this.hangTimer);
    if (this.stopped) return;
    if (!restart) {
      this.schedule(`crash kafkajs does not restart: ${messageOf(error)}`);
      return;
    }
    const hangMs = this.o.hangMs ?? 120_000;
    this.hangTimer = setTimeout(() => this.schedule(`no group join ${hangMs} ms after kafkajs restarted it`), hangMs);
    this.hangTimer.unref();
  }

  private joined(): void {
    clearTimeout(this.hangTimer);
    this.backoffMs = this.o.initialBackoffMs ?? 1000;
  }

  private schedule(reason: string): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.o.maxBackoffMs ?? 30_000, delay * 2);
    this.o.log.warn({ reason, inMs: delay }, 'rebuilding the Kafka consumer');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.rebuild(reason);
    }, delay);
  }

  private async rebuild(reason: string): Promise<void> {
    if (this.stopped) return;
    this.rebuilds += 1;
    this.o.onRebuild?.(reason);
    try {
      // stop() drops kafkajs' runner and group (a crashed one is not running, so nothing waits);
      // run() then builds both again, on the subscriptions and handlers the consumer already has.
      await this.consumer.stop();
      if (this.stopped) return;
      await this.consumer.connect();
      if (this.stopped) return;
      // A start that crashes again is reported by a crash event, which schedules the next try.
      await this.consumer.run(this.runConfig);
    } catch (err) {
      this.o.log.error({ err: messageOf(err) }, 'consumer rebuild failed');
      this.schedule(`rebuild failed: ${messageOf(err)}`);
    }
  }
}
