// Everything a processor needs, built once per process from validated config. Processors receive a
// Context and never construct clients themselves, so the runner can host any subset in one process
// (required with embedded chdb, which one process owns).
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../platform/errors.js';
import { createKafka } from '../../platform/kafka/kafka.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { openStore } from '../../platform/clickhouse/open.js';
import { migrate } from './migrations.js';
import { allTopics, topicNames } from '../../platform/kafka/topics.js';
import { processSasl, type BaseConfig } from '../../platform/config.js';
import { Scheduler } from '../../platform/scheduler.js';
import { identityOf, type Context } from '../../platform/host.js';

export type { Context, Processor, ProcessorHandle } from '../../platform/host.js';
export { identityOf } from '../../platform/host.js';

export type KafkaIdentities = Record<string, { username: string; password: string }>;

/** The identities of a credentials file; an unreadable file or one without users names itself. */
export function readKafkaIdentities(file: string): KafkaIdentities {
  let parsed: { users?: KafkaIdentities };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { users?: KafkaIdentities };
  } catch (err) {
    throw new ConfigError([
      { variable: 'KAFKA_CREDENTIALS_FILE', message: `cannot read ${file}: ${(err as Error).message}` },
    ]);
  }
  if (!parsed.users || typeof parsed.users !== 'object')
    throw new ConfigError([{ variable: 'KAFKA_CREDENTIALS_FILE', message: `${file} has no "users" object` }]);
  return parsed.users;
}

/**
 * The context one processor runs on: the process's own, or, with identities, the same context with
 * a Kafka client of the processor's identity (so its registry follower and clients are its own too).
 */
export function processorContext(ctx: Context, processor: string, identities: KafkaIdentities | null): Context {
  const scheduler = new Scheduler(undefined, ctx.logger.child({ processor, component: 'scheduler' }));
  if (!identities) return { ...ctx, scheduler };
  const sasl = identities[identityOf(processor)];
  if (!sasl)
    throw new ConfigError([
      { variable: 'KAFKA_CREDENTIALS_FILE', message: `has no identity ${identityOf(processor)}` },
    ]);
  const kafka = createKafka({
    brokers: ctx.config.KAFKA_BROKERS,
    clientId: identityOf(processor),
    logger: ctx.logger.child({ component: 'kafka', identity: identityOf(processor) }),
    sasl,
  });
  return { ...ctx, kafka, scheduler };
}

export async function createContext(
  config: BaseConfig,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Context> {
  const logger = createLogger(name, config.LOG_LEVEL);
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `ulasan-${name}`,
    logger: logger.child({ component: 'kafka' }),
    sasl: processSasl(config),
  });
  const topics = allTopics(config.ULASAN_TOPIC_PREFIX);
  // With one identity per processor and no process identity, topics were provisioned beforehand
  // (the processors' identities may not create them).
  const provisioned = config.KAFKA_CREDENTIALS_FILE !== undefined && config.KAFKA_SASL_USERNAME === undefined;
  const created = provisioned ? [] : await kafka.ensureTopics(topics);
  if (created.length) logger.info({ created }, 'created topics');
  const serde = new AvroSerde(config.SCHEMA_REGISTRY_URL);
  await serde.registerAll(topics);
  const store = await openStore({
    database: config.CLICKHOUSE_DATABASE,
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    chdbPath: config.CHDB_PATH,
    readOnly: config.CLICKHOUSE_ROLE === 'reader',
  });
  // Migrations are the writer role's job; a reader (the gateway in compose) uses the tables as they are.
  if (config.CLICKHOUSE_ROLE === 'writer') {
    const m = await migrate(store);
    if (m.applied.length) logger.info({ applied: m.applied }, 'applied ClickHouse migrations');
  }
  return {
    config,
    env,
    logger,
    metrics: createRegistry(name),
    kafka,
    serde,
    store,
    topics: topicNames(config.ULASAN_TOPIC_PREFIX),
    scheduler: new Scheduler(undefined, logger.child({ component: 'scheduler' })),
  };
}
