// The one module that imports kafkajs. kafkajs is frozen upstream (2.2.4); everything else in Ulasan
// goes through this adapter so the client can be swapped without touching processors.
import kafkajs, {
  Kafka,
  Partitioners,
  type AclEntry,
  type AclOperationTypes as AclOperation,
  type AclResourceTypes as AclResource,
  type ResourcePatternTypes as ResourcePattern,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type EachMessagePayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Message,
  type Producer,
  type ProducerConfig,
  type RecordMetadata,
} from 'kafkajs';

// kafkajs is CommonJS, and Node's named-export detection does not see its ACL enums: they are read
// off the default export (vitest's transform would hide this; tsx and node do not).
export const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
export type { AclEntry, AclOperation, AclResource, ResourcePattern };
import type { Logger } from '../logger.js';
import type { TopicSpec } from './topics.js';

export type {
  Admin,
  Consumer,
  ConsumerRunConfig,
  EachBatchPayload,
  EachMessagePayload,
  IHeaders,
  KafkaMessage,
  Message,
  Producer,
  RecordMetadata,
};

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Connection timeout in ms; small values make start-up probes fail fast. */
  connectionTimeout?: number;
  retries?: number;
  /** SASL/SCRAM-SHA-512 identity; unset = PLAINTEXT (the local development broker). */
  sasl?: { username: string; password: string };
}

function toPinoLevel(level: number): 'error' | 'warn' | 'info' | 'debug' {
  if (level <= KafkaLogLevel.ERROR) return 'error';
  if (level === KafkaLogLevel.WARN) return 'warn';
  if (level === KafkaLogLevel.INFO) return 'info';
  return 'debug';
}

const RETRIED_NOISE = /coordinator|not the correct|loading|concurrent operation on the same transaction/i;

export class KafkaClient {
  readonly kafka: Kafka;

  constructor(readonly options: KafkaClientOptions) {
    const logger = options.logger;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      sasl: options.sasl ? { mechanism: 'scram-sha-512', ...options.sasl } : undefined,
      connectionTimeout: options.connectionTimeout ?? 3000,
      retry: { retries: options.retries ?? 8, initialRetryTime: 100, maxRetryTime: 5000 },
      // kafkajs logs retriable noise at ERROR while it retries (a coordinator loading; a transaction
      // begun while the broker still completes the previous one); route it to pino at debug, so
      // logs stay readable. A final failure still surfaces as the caller's error.
      logLevel: logger ? KafkaLogLevel.WARN : KafkaLogLevel.NOTHING,
      logCreator: () => (entry: LogEntry) => {
        if (!logger) return;
        const { message, ...extra } = entry.log;
        const lvl = toPinoLevel(entry.level);
        const noise = RETRIED_NOISE.test(`${String(extra.error)} ${message}`);
        logger[lvl === 'error' && noise ? 'debug' : lvl]({ kafka: { namespace: entry.namespace, ...extra } }, message);
      },
    });
  }

  /**
   * Idempotent by default. An idempotent producer must not give up on a send it may have written
   * (kafkajs warns that limited retries void the guarantee), so sends retry until the broker is back.
   */
  producer(config: ProducerConfig = {}): Producer {
    const idempotent = config.idempotent ?? true;
    return this.kafka.producer({
      allowAutoTopicCreation: false,
      idempotent,
      maxInFlightRequests: 5,
      // The murmur2 partitioner of the Java client, so keys land where other clients put them.
      createPartitioner: Partitioners.DefaultPartitioner,
      ...(idempotent ? { retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5000 } } : {}),
      ...config,
    });
  }

  consumer(config: ConsumerConfig): Consumer {
    return this.kafka.consumer({ allowAutoTopicCreation: false, ...config });
  }

  admin(): Admin {
    return this.kafka.admin();
  }

  /**
   * Creates missing topics with their catalogue settings (existing ones are left as they are) and
   * waits until every partition has a leader. kafkajs' own waitForLeaders can fail with
   * UNKNOWN_TOPIC_OR_PARTITION while a fresh broker is still propagating metadata, so the wait is
   * done here, retrying until `timeoutMs`.
   */
  async ensureTopics(specs: TopicSpec[], timeoutMs = 30_000): Promise<string[]> {
    const admin = this.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.name));
      if (missing.length > 0) {
        await admin
          .createTopics({
            waitForLeaders: false,
            topics: missing.map((s) => ({
              topic: s.name,
              numPartitions: s.partitions,
              replicationFactor: 1,
              configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
            })),
          })
          .catch((err: { type?: string }) => {
            if (err.type !== 'TOPIC_ALREADY_EXISTS') throw err; // a concurrent creator won the race
          });
      }
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
          const ready = specs.every((s) => {
            const t = meta.topics.find((x) => x.name === s.name);
            return t && t.partitions.length >= s.partitions && t.partitions.every((p) => p.leader >= 0);
          });
          if (ready) break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
        if (Date.now() > deadline)
          throw new Error(`topics not ready after ${timeoutMs} ms: ${specs.map((s) => s.name).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return missing.map((s) => s.name);
    } finally {
      await admin.disconnect();
    }
  }

  async deleteTopics(names: string[]): Promise<void> {
    const admin = this.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: names });
    } finally {
      await admin.disconnect();
    }
  }

  /** Ready means: metadata answers AND a consumer group can be joined (the group coordinator is up). */
  async probeReady(timeoutMs = 30_000): Promise<void> {
    const probeTopic = '__ulasan_ready';
    await this.ensureTopics([
      {
        key: 'probe',
        name: probeTopic,
        partitions: 1,
        config: { 'cleanup.policy': 'delete', 'retention.ms': '60000' },
      },
    ]);
    const groupId = `ulasan-ready-${process.pid}-${Date.now()}`;
    const consumer = this.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: probeTopic });
      const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
      await consumer.run({ eachMessage: async () => undefined });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`consumer group did not join within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([joined, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await consumer.disconnect();
    }
    const admin = this.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

export function createKafka(options: KafkaClientOptions): KafkaClient {
  return new KafkaClient(options);
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

/** Bytes of keys and values per produce request, well under the broker's default 1 MB limit. */
export const SEND_CHUNK_BYTES = 512 * 1024;

/** Consecutive chunks whose key + value bytes stay within maxBytes (a single larger message is its own chunk). */
export function chunkBySize<M extends { key?: Buffer | string | null; value: Buffer | string | null }>(
  messages: readonly M[],
  maxBytes: number,
): M[][] {
  const chunks: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = (m.key?.length ?? 0) + (m.value?.length ?? 0);
    if (current.length && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
