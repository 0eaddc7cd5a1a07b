// npm run kafka:credentials -- --out <file>: every Kafka identity (the admin, one per processor,
// the producer) with a random password, written once (mode 600; an existing file is kept). The
// compose deployment reads it through KAFKA_CREDENTIALS (never commit it).
import { parseCommandLine, runCommandLine } from '../platform/cli.js';
import { kafkaCredentialsFile } from '../stack/kafka-auth.js';

const USAGE = 'usage: npm run kafka:credentials -- --out <file>';

function main(): void {
  const { values } = parseCommandLine({ options: { out: { type: 'string' } } }, USAGE);
  if (!values.out) {
    console.error(USAGE);
    process.exit(2);
  }
  const c = kafkaCredentialsFile(values.out);
  console.log(`${values.out}: ${Object.keys(c.users).length} identities (${Object.keys(c.users).join(', ')})`);
}

runCommandLine('kafka:credentials', main);
