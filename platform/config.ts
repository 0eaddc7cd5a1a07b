// Configuration is read from the environment once, at start-up, and validated as a whole: a bad or
// missing variable stops the process with a message naming every offending variable.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './errors.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const brokerList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .refine(
    (l) => l.length > 0 && l.every((b) => /^[\w.-]+:\d{1,5}$/.test(b)),
    'must be a comma-separated list of host:port',
  );

const url = z.string().url('must be a URL (http://host:port/...)');
const port = z.coerce.number().int().min(0).max(65535);

/** Variables every Ulasan process understands. */
export const baseShape = {
  /** `production` refuses to start without the service addresses, secrets and a Kafka identity (see above). */
  ULASAN_ENV: z.enum(['development', 'production']).default('development'),
  /** Comma-separated `host:port`; development defaults to the local stack (`127.0.0.1:9092`). */
  KAFKA_BROKERS: brokerList.optional(),
  /**
   * Confluent-compatible registry API; development defaults to the local Apicurio
   * (`http://127.0.0.1:8081/apis/ccompat/v7`).
   */
  SCHEMA_REGISTRY_URL: url.optional(),
  /** SASL/SCRAM-SHA-512 identity of this process on Kafka (both or neither; unset = PLAINTEXT). */
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  /** The password of KAFKA_SASL_USERNAME. */
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /**
   * One Kafka identity per processor: a JSON file `{"users": {"ulasan-<processor>": {username,
   * password}}}` (the local stack writes .stack/kafka/credentials.json). The runner then gives each
   * processor its own client as `ulasan-<processor>`, so ACLs hold per processor inside one process;
   * topics and ACLs are provisioned beforehand (`npm run kafka:provision`, as the admin identity).
   */
  KAFKA_CREDENTIALS_FILE: z.string().min(1).optional(),
  /** A ClickHouse server (HTTP); unset: embedded chdb in CHDB_PATH. */
  CLICKHOUSE_URL: url.optional(),
  /** Database every table lives in. */
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('ulasan'),
  /** Server user. */
  CLICKHOUSE_USER: z.string().default('default'),
  /** Server password (12+ characters, not a well-known default, in production). */
  CLICKHOUSE_PASSWORD: z.string().default(''),
  /** writer: runs migrations and inserts (processors); reader: SELECT only (the gateway in compose). */
  CLICKHOUSE_ROLE: z.enum(['writer', 'reader']).default('writer'),
  /** Embedded chdb data directory (one process at a time). */
  CHDB_PATH: z.string().default(path.join(PROJECT_ROOT, '.stack', 'chdb')),
  /** Prefix for every topic name (tests use a random one). */
  ULASAN_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, . _ -')
    .default(''),
  /** Labelled data sets (training, references); read, never copied into the repo. */
  ULASAN_DATA_DIR: z.string().default(path.resolve(PROJECT_ROOT, '..', 'shared', 'data')),
  /** Model artifact store: registered packages by content hash, and training runs' reports. */
  ULASAN_ARTIFACT_DIR: z.string().default(path.join(PROJECT_ROOT, '.stack', 'artifacts')),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `/metrics` (Prometheus) and `/health` port of the process. */
  METRICS_PORT: port.default(9464),
  /** Address `/metrics` and `/health` listen on. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** A dependency failing (or a consumer crashed) this long makes /health answer 503. */
  ULASAN_STALL_MS: z.coerce.number().int().min(1000).default(60_000),
};

type BaseParsed = z.infer<z.ZodObject<typeof baseShape>>;

export interface BaseConfig extends Omit<BaseParsed, 'KAFKA_BROKERS' | 'SCHEMA_REGISTRY_URL'> {
  KAFKA_BROKERS: string[];
  SCHEMA_REGISTRY_URL: string;
}

// In development the local stack's addresses are the defaults; production must name every service
// explicitly, so a forgotten variable never silently points a deployment at localhost or chdb.
const DEV_DEFAULTS = {
  KAFKA_BROKERS: ['127.0.0.1:9092'],
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
};
const REQUIRED_IN_PRODUCTION = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'CLICKHOUSE_URL'] as const;

function problemsOf(err: z.ZodError): { variable: string; message: string }[] {
  return err.issues.map((i) => ({
    variable: String(i.path[0] ?? '?'),
    message: i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message,
  }));
}

/** Passwords from examples and earlier defaults: refused in production whatever their length. */
export const KNOWN_DEFAULT_PASSWORDS = ['ulasan', 'password', 'changeme', 'change-me', 'clickhouse', 'admin', 'secret'];
const MIN_PASSWORD = 12;

/** What production refuses: missing service addresses and secrets, short or well-known passwords. */
function productionProblems(
  cleaned: Record<string, string | undefined>,
  required: readonly string[],
): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  for (const v of [...REQUIRED_IN_PRODUCTION, 'CLICKHOUSE_PASSWORD', ...required]) {
    if (cleaned[v] === undefined) problems.push({ variable: v, message: 'is required when ULASAN_ENV=production' });
  }
  // Kafka without an identity is Kafka without authentication: production names one or the other.
  if (cleaned.KAFKA_SASL_USERNAME === undefined && cleaned.KAFKA_CREDENTIALS_FILE === undefined) {
    problems.push({
      variable: 'KAFKA_SASL_USERNAME',
      message: 'or KAFKA_CREDENTIALS_FILE is required when ULASAN_ENV=production (Kafka runs with SASL/SCRAM)',
    });
  }
  const pw = cleaned.CLICKHOUSE_PASSWORD;
  if (pw !== undefined && pw.length < MIN_PASSWORD) {
    problems.push({ variable: 'CLICKHOUSE_PASSWORD', message: `must be at least ${MIN_PASSWORD} characters` });
  } else if (pw !== undefined && KNOWN_DEFAULT_PASSWORDS.some((d) => pw.toLowerCase().startsWith(d))) {
    problems.push({ variable: 'CLICKHOUSE_PASSWORD', message: 'is a well-known default; choose another' });
  }
  return problems;
}

/** The process's own Kafka identity (KAFKA_SASL_USERNAME/PASSWORD), or undefined for PLAINTEXT. */
export function processSasl(config: BaseConfig): { username: string; password: string } | undefined {
  return config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
    ? { username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD }
    : undefined;
}

/** Parses the base variables plus a processor's own shape; throws ConfigError naming each bad one. */
export function parseConfig<S extends z.ZodRawShape>(
  extra: S,
  env: NodeJS.ProcessEnv = process.env,
  options: { requiredInProduction?: readonly string[] } = {},
): BaseConfig & z.infer<z.ZodObject<S>> {
  // Empty strings count as unset: `FOO= cmd` should fall back to the default, not fail.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const schema = z.object({ ...baseShape, ...extra });
  const res = schema.safeParse(cleaned);
  const problems = res.success ? [] : problemsOf(res.error);
  if (res.success && (cleaned.KAFKA_SASL_USERNAME === undefined) !== (cleaned.KAFKA_SASL_PASSWORD === undefined)) {
    const missing = cleaned.KAFKA_SASL_USERNAME === undefined ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD';
    problems.push({ variable: missing, message: 'is required when the other KAFKA_SASL_ variable is set' });
  }
  if (res.success && (res.data as { ULASAN_ENV?: string }).ULASAN_ENV === 'production') {
    problems.push(...productionProblems(cleaned, options.requiredInProduction ?? []));
  }
  if (problems.length > 0 || !res.success) throw new ConfigError(problems);
  const data = res.data as unknown as BaseParsed & z.infer<z.ZodObject<S>>;
  return {
    ...data,
    KAFKA_BROKERS: data.KAFKA_BROKERS ?? DEV_DEFAULTS.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: data.SCHEMA_REGISTRY_URL ?? DEV_DEFAULTS.SCHEMA_REGISTRY_URL,
  } as BaseConfig & z.infer<z.ZodObject<S>>;
}

export { z };
