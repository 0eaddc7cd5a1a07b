// npm run kafka:credentials -- --out <file>: every Kafka identity (the admin, one per processor,
// the producer) with a random password, written once (mode 600; an existing file is kept). The
// compose deployment reads it through KAFKA_CREDENTIALS (never commit it).
import { parseArgs } from 'node:util';
import { kafkaCredentialsFile } from '../stack/kafka-auth.js';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
if (!values.out) {
  console.error('usage: npm run kafka:credentials -- --out <file>');
  process.exit(2);
}
const c = kafkaCredentialsFile(values.out);
console.log(`${values.out}: ${Object.keys(c.users).length} identities (${Object.keys(c.users).join(', ')})`);
