// The compose deployment's Kafka init step (service `kafka-config`): from the operator's credentials
// file (npm run kafka:credentials -- --out <file>) it writes
//   <broker dir>/server.properties   KRaft with SASL/SCRAM, StandardAuthorizer, super users
//   <broker dir>/format-args         the `kafka-storage format` arguments that create the SCRAM users
//   <broker dir>/cluster-id          made once, kept across restarts
//   <broker dir>/admin.properties    the admin identity's client settings (healthcheck, provisioning)
//   <client dir>/credentials.json    every identity except the admin: what the processors mount
// The same settings as the local stack (stack/kafka-auth.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  clientProperties,
  newClusterId,
  scramBrokerProperties,
  scramFormatArgs,
  singleNodeProperties,
  type KafkaCredentials,
} from '../../stack/kafka-auth.js';

export function configure(credentialsPath: string, brokerDir: string, clientDir: string): void {
  if (!existsSync(credentialsPath))
    throw new Error(`${credentialsPath} does not exist: make it with npm run kafka:credentials -- --out <file>`);
  const c = JSON.parse(readFileSync(credentialsPath, 'utf8')) as KafkaCredentials;
  if (!c.users?.['ulasan-admin'] || !c.controller) throw new Error(`${credentialsPath} lacks the admin or controller`);
  mkdirSync(brokerDir, { recursive: true });
  mkdirSync(clientDir, { recursive: true });
  const write = (dir: string, name: string, lines: string[]) =>
    writeFileSync(path.join(dir, name), lines.join('\n') + '\n', { mode: 0o600 });
  const scram = scramBrokerProperties({
    listen: '0.0.0.0:9092',
    advertised: 'kafka:9092',
    controllerListen: '0.0.0.0:9093',
    credentials: c,
  });
  write(
    brokerDir,
    'server.properties',
    singleNodeProperties({ controllerVoter: 'kafka:9093', logDir: '/var/lib/kafka/data', auth: scram }),
  );
  write(brokerDir, 'format-args', scramFormatArgs(c));
  write(brokerDir, 'admin.properties', clientProperties(c.users['ulasan-admin']));
  const clusterId = path.join(brokerDir, 'cluster-id');
  if (!existsSync(clusterId)) writeFileSync(clusterId, newClusterId());
  const { 'ulasan-admin': _admin, ...clients } = c.users;
  writeFileSync(path.join(clientDir, 'credentials.json'), JSON.stringify({ users: clients }), { mode: 0o600 });
}

if (process.argv[1] && /configure\.(ts|js)$/.test(process.argv[1])) {
  const [credentials, brokerDir, clientDir] = process.argv.slice(2);
  if (!credentials || !brokerDir || !clientDir) {
    console.error('usage: configure.ts <credentials.json> <broker config dir> <client config dir>');
    process.exit(2);
  }
  try {
    configure(credentials, brokerDir, clientDir);
    console.log(`Kafka SCRAM configuration written to ${brokerDir} and ${clientDir}`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
