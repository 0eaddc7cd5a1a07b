// npm run registry -- list [name] | show <name> <version> | compare <name> <a> <b>
//                     | promote <name> <version> | rollback <name> | archive <name> <version>
//                     [--reason "..."] [--actor who] [--json]
// Reads and writes the registry topic (the source of truth), so it works while processors run.
import { parseConfig, processSasl } from '../../platform/config.js';
import { exitOnUsageError, parseCommandLine } from '../../platform/cli.js';
import { isUlasanError, UlasanError } from '../../platform/errors.js';
import { createKafka } from '../../platform/kafka/kafka.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { allTopics, topicNames } from '../../platform/kafka/topics.js';
import { fileURLToPath } from 'node:url';
import { loadPackage, type UlasanMeta } from '../../models/core/package.js';
import { modelCardLines } from '../../models/trainer/card.js';
import { ModelRegistry } from '../../platform/registry/registry.js';

/** The package's metadata, or null when its artifact is not on this machine. */
function packageMeta(uri: string): UlasanMeta | null {
  try {
    return loadPackage(uri.startsWith('file://') ? fileURLToPath(uri) : uri).meta;
  } catch {
    return null;
  }
}

type Values = { reason: string; actor: string; json: boolean };
type Command = (registry: ModelRegistry, args: (string | undefined)[], values: Values) => Promise<void> | void;

const USAGE =
  'usage: npm run registry -- list [name] | show <name> <v> | compare <name> <a> <b> | promote <name> <v> | ' +
  'rollback <name> | archive <name> <v> [--reason r] [--actor a] [--json]';

function need(x: string | undefined, what: string): string {
  if (!x) throw new UlasanError('USAGE', `missing ${what}; ${USAGE}`);
  return x;
}

const out = (values: Values, v: unknown): void => console.log(values.json ? JSON.stringify(v, null, 2) : v);

const list: Command = (registry, [name], values) => {
  const names = name ? [name] : registry.state.names();
  const rows = names.flatMap((n) =>
    registry.state.versions(n).map((v) => ({
      name: n,
      version: v.version,
      stage: v.stage,
      accuracy: v.metrics?.accuracy,
      macro_f1: v.metrics?.macro_f1,
      run_id: v.run_id,
      since: new Date(v.timestamp).toISOString(),
      reason: v.reason,
    })),
  );
  if (values.json) out(values, rows);
  else console.table(rows);
};

const show: Command = (registry, [name, a], values) => {
  const n = need(name, 'name');
  const v = Number(need(a, 'version'));
  const current = registry.state.version(n, v) ?? null;
  const meta = current ? packageMeta(current.artifact_uri) : null;
  if (values.json)
    return out(values, { current, history: registry.state.history(n, v), model_card: meta?.model_card ?? null });
  console.log({ current, history: registry.state.history(n, v) });
  if (meta) console.log(modelCardLines(meta).join('\n'));
};

const compare: Command = (registry, [name, a, b], values) => {
  const c = registry.compare(need(name, 'name'), Number(need(a, 'version a')), Number(need(b, 'version b')));
  if (values.json) return out(values, c);
  const rows = Object.entries(c.metrics).map(([metric, [x, y]]) => ({
    metric,
    [`v${a}`]: x,
    [`v${b}`]: y,
    delta: x !== null && y !== null ? y - x : null,
  }));
  console.table(rows);
  console.log(`confusion v${a} (rows true, cols predicted):`, JSON.stringify(c.confusion[0]));
  console.log(`confusion v${b}:`, JSON.stringify(c.confusion[1]));
};

const COMMANDS: Record<string, Command> = {
  list,
  show,
  compare,
  promote: async (r, [name, v], o) =>
    out(o, await r.promote(need(name, 'name'), Number(need(v, 'version')), o.reason, o.actor)),
  rollback: async (r, [name], o) => out(o, await r.rollback(need(name, 'name'), o.reason, o.actor)),
  archive: async (r, [name, v], o) =>
    out(o, await r.archive(need(name, 'name'), Number(need(v, 'version')), o.reason, o.actor)),
};

async function main(): Promise<void> {
  const { values, positionals } = parseCommandLine(
    {
      allowPositionals: true,
      options: {
        reason: { type: 'string', default: 'manual' },
        actor: { type: 'string', default: process.env.USER ?? 'cli' },
        json: { type: 'boolean', default: false },
      },
    },
    USAGE,
  );
  const [cmd, ...args] = positionals;
  const command = cmd ? COMMANDS[cmd] : undefined;
  if (!command) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = parseConfig({});
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 'ulasan-registry-cli',
    sasl: processSasl(config),
  });
  await kafka.ensureTopics(allTopics(config.ULASAN_TOPIC_PREFIX));
  const serde = new AvroSerde(config.SCHEMA_REGISTRY_URL);
  await serde.registerAll(allTopics(config.ULASAN_TOPIC_PREFIX));
  const topics = topicNames(config.ULASAN_TOPIC_PREFIX);
  const registry = await ModelRegistry.open({ kafka, serde, topics, artifactDir: config.ULASAN_ARTIFACT_DIR });
  await command(registry, args, values);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    exitOnUsageError('registry', err);
    console.error(isUlasanError(err) ? `registry: ${err.code}: ${err.message}` : `registry: ${(err as Error).message}`);
    process.exit(1);
  },
);
