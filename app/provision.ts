// npm run kafka:provision [-- --prefix <topic prefix>]: creates the catalogue's topics and every
// Kafka identity's ACLs (one per processor, from its declared topology, plus the producer), run as
// the admin identity (KAFKA_SASL_USERNAME/PASSWORD). Processors running with one identity each
// (KAFKA_CREDENTIALS_FILE) may neither create topics nor touch another's; this is the step that does.
// It also sets the schema registry's global compatibility to BACKWARD as the admin (the registry
// guard refuses that to every other identity); processors register their schemas under it.
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { parseConfig, processSasl } from '../platform/config.js';
import { identityOf, readKafkaIdentities } from '../processors/kit/context.js';
import { isUlasanError } from '../platform/errors.js';
import { applyAcls, type Grant } from '../platform/kafka/acls.js';
import { createKafka, type KafkaClient } from '../platform/kafka/kafka.js';
import { setGlobalCompatibility } from '../platform/serde/serde.js';
import { allTopics, topicNames } from '../platform/kafka/topics.js';
import { PROCESSORS } from './runner.js';

/**
 * The producer and scraper CLIs: they write reviews and dead letters, and the scraper CLI its cursors
 * (read back at start, written with each page in a transaction under its own prefix).
 */
export const PRODUCER_IDENTITY = 'ulasan-producer' as const;

/** Every identity's grant: each processor its own topology and group prefix, and the producer. */
export function kafkaGrants(): Grant[] {
  const processors = Object.values(PROCESSORS).map((p) => ({
    principal: identityOf(p.name),
    topology: p.topology,
    groupPrefix: identityOf(p.name),
  }));
  const producer: Grant = {
    principal: PRODUCER_IDENTITY,
    topology: {
      inputs: [],
      outputs: ['reviews', 'deadLetter', 'scrapeCursors'],
      reads: ['scrapeCursors'],
      commit: 'transaction',
    },
    groupPrefix: PRODUCER_IDENTITY,
  };
  return [...processors, producer];
}

/** Topics of `prefix` created (missing ones) and every identity's ACLs on them; returns what it did. */
export async function provisionKafka(admin: KafkaClient, prefix: string): Promise<{ created: string[]; acls: number }> {
  const created = await admin.ensureTopics(allTopics(prefix));
  const a = admin.admin();
  await a.connect();
  try {
    return { created, acls: await applyAcls(a, kafkaGrants(), topicNames(prefix)) };
  } finally {
    await a.disconnect();
  }
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    { options: { prefix: { type: 'string' } } },
    'usage: npm run kafka:provision [-- --prefix <topic prefix>]',
  );
  const config = parseConfig({});
  const prefix = values.prefix ?? config.ULASAN_TOPIC_PREFIX;
  // The admin: KAFKA_SASL_USERNAME/PASSWORD, else the file's ulasan-admin (the compose init job).
  const fromFile = config.KAFKA_CREDENTIALS_FILE
    ? readKafkaIdentities(config.KAFKA_CREDENTIALS_FILE)['ulasan-admin']
    : undefined;
  const sasl = processSasl(config) ?? fromFile;
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ulasan-provision', sasl });
  const r = await provisionKafka(kafka, prefix);
  console.log(
    `topics created: ${r.created.length ? r.created.join(', ') : 'none (all existed)'}; ACL entries: ${r.acls}`,
  );
  // The registry's admin is the Kafka admin identity (HTTP basic at the guard).
  if (sasl) {
    await setGlobalCompatibility(config.SCHEMA_REGISTRY_URL, sasl);
    console.log(`schema registry: global compatibility BACKWARD (${config.SCHEMA_REGISTRY_URL})`);
  } else console.log('schema registry: no admin identity given, global compatibility left as it is');
}

if (process.argv[1] && /provision\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    exitOnUsageError('kafka:provision', err);
    console.error(isUlasanError(err) ? `${err.code}: ${err.message}` : String(err));
    process.exit(1);
  });
}
