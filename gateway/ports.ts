// The gateway's Kafka-side dependencies: sends that wait for Kafka's acknowledgement for a bounded
// time, and a readiness probe that reuses one admin connection instead of opening one per call.
import type { Context } from '../processors/kit/context.js';
import { UlasanError } from '../platform/errors.js';
import type { Admin, KafkaClient, Producer } from '../platform/kafka/kafka.js';
import type { Health } from '../processors/kit/kit.js';
import type { TopicKey, TopicValues } from '../platform/kafka/topics.js';

/** Resolves or rejects with `p`, or rejects with `error()` after `ms` (p keeps running: it may still land). */
export function withTimeout<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(error()), ms)));
  p.catch(() => undefined); // a late failure after the timeout has already been answered
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends one record and resolves once Kafka acknowledged it (acks=all), or rejects with
 * KAFKA_UNAVAILABLE after `timeoutMs`; health turns to waiting while Kafka does not answer.
 */
export function acknowledgedSend(ctx: Context, producer: Producer, health: Health, timeoutMs: number) {
  return async <K extends TopicKey>(key: K, recordKey: string, value: TopicValues[K]): Promise<void> => {
    const topic = ctx.topics[key];
    const encoded = await ctx.serde.encode(topic, value);
    const sent = producer.send({ topic, messages: [{ key: recordKey, value: encoded }], acks: -1 });
    const timeout = () =>
      new UlasanError('KAFKA_UNAVAILABLE', `Kafka did not acknowledge the ${key} record within ${timeoutMs} ms`);
    try {
      await withTimeout(sent, timeoutMs, timeout);
      health.ok('kafka');
    } catch (err) {
      health.waiting('kafka');
      throw err;
    }
  };
}

/** /ready's Kafka check on one long-lived admin connection (reconnected after a failure). */
export class KafkaProbe {
  private admin: Admin | null = null;
  private connecting: Promise<Admin> | null = null;

  constructor(
    private readonly kafka: Pick<KafkaClient, 'admin'>,
    private readonly timeoutMs = 2000,
  ) {}

  private connected(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        this.admin = admin;
        return admin;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  async reachable(): Promise<boolean> {
    const timeout = () => new Error('Kafka probe timed out');
    try {
      await withTimeout(
        this.connected().then((a) => a.describeCluster()),
        this.timeoutMs,
        timeout,
      );
      return true;
    } catch {
      const stale = this.admin;
      this.admin = null;
      await stale?.disconnect().catch(() => undefined);
      return false;
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
  }
}
