// Everything a processor needs, built once per process from validated config. Processors receive a
// Context and never construct clients themselves, so the runner can host any subset in one process
// (required with embedded chdb, which one process owns).
import type { Registry } from 'prom-client';
import { createKafka, type KafkaClient } from './kafka.js';
import { createLogger, type Logger } from './logger.js';
import { createRegistry } from './metrics.js';
import { AvroSerde } from './serde.js';
import { openStore, type ClickHouseStore } from './clickhouse/store.js';
import { migrate } from './clickhouse/migrations.js';
import { allTopics, topicNames, type TopicNames } from './topics.js';
import type { BaseConfig } from './config.js';
import type { Topology } from './kit.js';

export interface Context {
  config: BaseConfig;
  /** The environment the process was configured from; processors parse their own variables from it. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  metrics: Registry;
  kafka: KafkaClient;
  serde: AvroSerde;
  store: ClickHouseStore;
  topics: TopicNames;
}

export interface ProcessorHandle {
  stop(): Promise<void>;
  healthy(): boolean;
  [extra: string]: unknown;
}

export interface Processor {
  name: string;
  /** Inputs, outputs, tables, commit policy and punctuators (printed by `npm run processors -- --topology`). */
  topology: Topology;
  /** Resolves once the processor is consuming; stop() drains and commits. */
  start(ctx: Context): Promise<ProcessorHandle>;
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
    sasl:
      config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
        ? { username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD }
        : undefined,
  });
  const topics = allTopics(config.ULASAN_TOPIC_PREFIX);
  const created = await kafka.ensureTopics(topics);
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
  };
}
