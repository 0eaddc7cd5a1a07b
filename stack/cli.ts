// npm run stack:up | stack:down | stack:status [-- --with clickhouse-server] [service ...] | stack:env
// Starts the local stack without Docker: Kafka (KRaft) and Apicurio Registry from Maven Central.
// ClickHouse is embedded (chdb, in the processors' own process) unless CLICKHOUSE_URL names a server.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { isUlasanError } from '../platform/errors.js';
import {
  DEFAULT_SERVICES,
  KAFKA_VERSION,
  APICURIO_VERSION,
  SERVICES,
  layoutFor,
  stackKafkaSasl,
  type ServiceName,
  type StackLayout,
} from './services.js';
import { down, status, up } from './stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function pickServices(positionals: string[], withExtra: string[]): ServiceName[] {
  const names = positionals.length > 0 ? positionals : [...DEFAULT_SERVICES, ...withExtra];
  for (const n of names) {
    if (!(n in SERVICES)) throw new Error(`unknown service "${n}"; known: ${Object.keys(SERVICES).join(', ')}`);
  }
  return names as ServiceName[];
}

/**
 * `eval "$(npm run -s stack:env)"`: the variables that reach this stack's Kafka. The admin identity
 * (a super user) is for CLIs (produce, registry, kafka:provision); processors run as their own
 * identities from the credentials file once `npm run kafka:provision` has made their ACLs.
 */
function stackEnv(layout: StackLayout): string {
  const lines = [`export KAFKA_BROKERS=127.0.0.1:${layout.ports.kafka}`];
  const admin = stackKafkaSasl(layout);
  if (admin) {
    lines.push(`export KAFKA_SASL_USERNAME=${admin.username}`, `export KAFKA_SASL_PASSWORD=${admin.password}`);
    lines.push(
      `# processors, one identity each: KAFKA_CREDENTIALS_FILE=${path.join(layout.dir, 'kafka', 'credentials.json')}`,
    );
  }
  return lines.join('\n');
}

const USAGE = 'usage: stack/cli.ts up|down|status|env [--with clickhouse-server] [--json] [service ...]';

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine(
    {
      allowPositionals: true,
      options: { with: { type: 'string', multiple: true, default: [] }, json: { type: 'boolean', default: false } },
    },
    USAGE,
  );
  const [command, ...rest] = positionals;
  const layout = layoutFor(root);
  const withExtra = values.with ?? [];
  switch (command) {
    case 'up': {
      const names = pickServices(rest, withExtra);
      const t0 = Date.now();
      const results = await up(layout, names);
      for (const r of results)
        console.log(`${r.name.padEnd(18)} ${r.action.padEnd(16)} pid ${r.pid}  ${r.seconds.toFixed(1)} s`);
      console.log(
        `stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
          `(Kafka ${KAFKA_VERSION}, Apicurio Registry ${APICURIO_VERSION})`,
      );
      const clickhouse = process.env.CLICKHOUSE_URL
        ? `server ${process.env.CLICKHOUSE_URL}`
        : `embedded chdb (data under ${layout.dir}/chdb)`;
      console.log(`clickhouse         ${clickhouse}`);
      return 0;
    }
    case 'down': {
      // down stops every known service by default, so nothing is left whichever subset was started.
      const names = rest.length > 0 ? pickServices(rest, []) : (Object.keys(SERVICES) as ServiceName[]);
      const res = await down(layout, names);
      for (const [n, s] of Object.entries(res)) console.log(`${n.padEnd(18)} ${s}`);
      return 0;
    }
    case 'status': {
      const names = rest.length > 0 ? pickServices(rest, []) : (Object.keys(SERVICES) as ServiceName[]);
      const st = await status(layout, names);
      if (values.json) console.log(JSON.stringify(st, null, 2));
      else
        for (const s of st)
          console.log(
            `${s.name.padEnd(18)} ${s.alive ? `pid ${s.pid}` : 'stopped'.padEnd(10)} ` +
              `${s.ready ? 'ready' : 'not ready'}  ${s.url}`,
          );
      return st.filter((s) => DEFAULT_SERVICES.includes(s.name)).every((s) => s.ready) ? 0 : 3;
    }
    case 'env':
      console.log(stackEnv(layout));
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    exitOnUsageError('stack', err);
    console.error(isUlasanError(err) ? `stack: ${err.code}: ${err.message}` : `stack: ${(err as Error).message}`);
    process.exit(1);
  },
);
