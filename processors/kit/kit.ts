// The processor kit: what every processor shares around its pure handler.
//
// - one bad-record policy: a record that cannot be handled becomes a dead letter with a code and a
//   reason (`recordFailure`, `DeadLetters`); nothing is logged-and-skipped, and an outage or a bug
//   in our own plumbing is never blamed on the record (it is rethrown, or waited out);
// - health from real signals (`Health`): a crashed consumer, or a dependency wait longer than
//   `stallMs` (a stalled partition, a failing sink), makes /health answer 503;
// - `consume`: a consumer bound to its topics, with crash tracking, rebuilt when kafkajs gives up on
//   it (`ConsumerSupervisor`), and graceful stop.
import type { Counter } from 'prom-client';
import { deadLetter, type Origin } from './dead-letter.js';
import { SerdeError, UlasanError } from '../../platform/errors.js';
import type { Context } from '../../platform/host.js';
import {
  chunkBySize,
  SEND_CHUNK_BYTES,
  type Consumer,
  type ConsumerRunConfig,
  type Message,
  type Producer,
} from '../../platform/kafka/kafka.js';
import type { Logger } from '../../platform/logger.js';
import { counter } from '../../platform/metrics.js';
import type { TopicKey, TopicValues } from '../../platform/kafka/topics.js';
import { isRetriable, waitOutOutage, type WaitOptions } from '../../platform/outage.js';
import { ConsumerSupervisor } from '../../platform/kafka/supervisor.js';
import { Health } from '../../platform/host.js';

export type { CommitPolicy, Topology } from '../../platform/host.js';
export { Health } from '../../platform/host.js';

/** Decodes a record of one of the processor's inputs as that topic's type. */
export async function decodeFrom<K extends TopicKey>(
  ctx: Context,
  key: K,
  value: Buffer | null,
): Promise<TopicValues[K]> {
  return (await ctx.serde.decode<TopicValues[K]>(value, ctx.topics[key])).value;
}

export interface RecordFailure {
  code: string;
  reason: string;
}

/**
 * The dead-letter code and reason for an error raised while handling one record. Retriable errors
 * (outages) are rethrown: they are waits, never verdicts on the record.
 */
export function recordFailure(err: unknown): RecordFailure {
  if (isRetriable(err)) throw err;
  if (err instanceof SerdeError) {
    const reject = err.details?.reject;
    return { code: typeof reject === 'string' ? reject : err.code, reason: err.message };
  }
  if (err instanceof UlasanError) return { code: err.code, reason: err.message };
  // Not one of ours: the record tripped something unexpected. Dead-lettered with the message, so
  // the processor moves on and the record can be inspected and replayed once fixed.
  return { code: 'PROCESSING_FAILED', reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

/** Encodes dead letters for one processor and sends them, waiting out Kafka outages. */
export class DeadLetters {
  private encode?: (value: unknown) => Buffer;
  private readonly total: Counter<'processor' | 'code'>;

  constructor(
    private readonly ctx: Context,
    private readonly processor: string,
    private readonly producer: Producer,
  ) {
    this.total = counter(ctx.metrics, {
      name: 'ulasan_dead_letters_total',
      help: 'Records dead-lettered, by processor and code',
      labelNames: ['processor', 'code'],
    });
  }

  async message(origin: Origin, failure: RecordFailure): Promise<Message> {
    this.encode ??= await this.ctx.serde.encoderFor(this.ctx.topics.deadLetter);
    const dl = deadLetter(origin, failure.code, failure.reason, this.processor);
    this.total.inc({ processor: this.processor, code: failure.code });
    return { key: origin.key, value: this.encode(dl.value), headers: dl.headers };
  }

  async send(messages: Message[], wait: Omit<WaitOptions, 'what'>): Promise<void> {
    if (messages.length === 0) return;
    const topic = this.ctx.topics.deadLetter;
    // A dead letter holds at most 256 KiB of the original: requests of 512 KiB stay under 1 MB.
    for (const chunk of chunkBySize(messages, SEND_CHUNK_BYTES)) {
      await waitOutOutage(() => this.producer.send({ topic, messages: chunk, acks: -1 }), {
        ...wait,
        what: 'dead-letter send',
      });
    }
  }
}

/** waitOutOutage that also reports the wait to health and to the outage metric. */
export function outageWaiter(ctx: Context, processor: string, health: Health, log: Logger) {
  const retries = counter(ctx.metrics, {
    name: 'ulasan_outage_retries_total',
    help: 'Retriable dependency failures waited out, by processor and what was attempted',
    labelNames: ['processor', 'what'],
  });
  return async <T>(what: string, fn: () => Promise<T>, o: Omit<WaitOptions, 'what' | 'log'> = {}): Promise<T> => {
    const result = await waitOutOutage(fn, {
      ...o,
      what,
      log,
      onRetry: (err, attempt) => {
        retries.inc({ processor, what });
        health.waiting(what);
        o.onRetry?.(err, attempt);
      },
    });
    health.ok(what);
    return result;
  };
}

export interface ConsumeOptions {
  groupId: string;
  inputs: TopicKey[];
  health: Health;
  log: Logger;
  fromBeginning?: boolean;
  consumerConfig?: Omit<Parameters<Context['kafka']['consumer']>[0], 'groupId'>;
  run: ConsumerRunConfig;
  /** Attach listeners (GROUP_JOIN, ...) before the consumer starts joining. */
  beforeRun?: (consumer: Consumer) => void;
}

/**
 * Connects, subscribes and runs a consumer under a ConsumerSupervisor: a crash is reported to health,
 * and a consumer kafkajs does not restart (a non-retriable crash, such as the SCRAM handshake a
 * restarting broker cuts off) or that hangs in a restart is rebuilt in place, with backoff.
 */
export async function consume(ctx: Context, o: ConsumeOptions): Promise<Consumer> {
  // kafkajs asks restartOnFailure about retriable crashes only; the supervisor handles the others.
  const retry = { restartOnFailure: async () => true };
  const consumer = ctx.kafka.consumer({ groupId: o.groupId, retry, ...o.consumerConfig });
  await consumer.connect();
  await consumer.subscribe({ topics: o.inputs.map((k) => ctx.topics[k]), fromBeginning: o.fromBeginning ?? true });
  consumer.on(consumer.events.CRASH, (e) => {
    o.health.crash(String((e.payload.error as Error | undefined)?.message ?? e.payload.error));
    o.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
  });
  consumer.on(consumer.events.GROUP_JOIN, () => o.health.recovered());
  o.beforeRun?.(consumer);
  const rebuilds = counter(ctx.metrics, {
    name: 'ulasan_consumer_rebuilds_total',
    help: 'Kafka consumers rebuilt after a crash kafkajs does not restart, or a hung restart, by group',
    labelNames: ['group'],
  });
  const supervisor = new ConsumerSupervisor(consumer, o.run, {
    log: o.log,
    // Twice the stall detector's threshold (a rejoin may wait out a dead member's session): a
    // consumer down that long after a kafkajs restart is rebuilt, not only reported.
    hangMs: 2 * ctx.config.ULASAN_STALL_MS,
    onRebuild: (reason) => {
      rebuilds.inc({ group: o.groupId });
      o.health.crash(reason);
    },
  });
  await supervisor.run();
  return consumer;
}
