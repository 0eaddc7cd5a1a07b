// Service definitions of the local stack: how each one is resolved, configured, started and probed.
// Kafka and Apicurio come from Maven Central (no Docker engine here); ClickHouse is embedded (chdb)
// unless a server is asked for.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StackError } from '../platform/errors.js';
import {
  clientProperties,
  credentialsFile,
  KAFKA_IDENTITIES,
  kafkaCredentialsFile,
  newClusterId,
  scramBrokerProperties,
  singleNodeProperties,
  scramFormatArgs,
  type KafkaCredentials,
} from './kafka-auth.js';

export const KAFKA_VERSION = '4.1.1';
// 3.0.x is the newest Apicurio 3 line whose classes run on Java 17 (3.1+ needs Java 21).
export const APICURIO_VERSION = '3.0.9';

export interface StackPorts {
  kafka: number;
  controller: number;
  /** The registry's public port: the guard (stack/registry-guard.ts) listens here. */
  registry: number;
  /** Apicurio's own port, on 127.0.0.1 behind the guard. */
  registryPrivate: number;
  clickhouseHttp: number;
  clickhouseTcp: number;
}

export interface StackLayout {
  root: string; // project root
  dir: string; // .stack
  lib: string; // resolved jars and Maven cache; shareable between stack dirs
  logs: string;
  run: string;
  ports: StackPorts;
  /** plaintext: no authentication (local development); scram: SASL/SCRAM-SHA-512 with ACLs. */
  kafkaAuth: 'plaintext' | 'scram';
}

export interface ServiceSpec {
  name: 'kafka' | 'registry' | 'registry-guard' | 'clickhouse-server';
  /** Text that must appear in /proc/<pid>/cmdline, so a recycled pid is never mistaken for ours. */
  marker: string;
  prepare(layout: StackLayout): void;
  command(layout: StackLayout): { cmd: string; args: string[]; env?: Record<string, string> };
  url(layout: StackLayout): string;
}

function portEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new StackError('BAD_CONFIG', `${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return n;
}

export function layoutFor(root: string): StackLayout {
  const dir = path.resolve(process.env.ULASAN_STACK_DIR ?? path.join(root, '.stack'));
  const registry = portEnv('ULASAN_STACK_REGISTRY_PORT', 8081);
  return {
    root,
    dir,
    lib: path.resolve(process.env.ULASAN_STACK_LIB_DIR ?? path.join(dir, 'lib')),
    logs: path.join(dir, 'logs'),
    run: path.join(dir, 'run'),
    ports: {
      kafka: portEnv('ULASAN_STACK_KAFKA_PORT', 9092),
      controller: portEnv('ULASAN_STACK_CONTROLLER_PORT', 9093),
      registry,
      registryPrivate: portEnv('ULASAN_STACK_REGISTRY_PRIVATE_PORT', registry + 1),
      clickhouseHttp: portEnv('ULASAN_STACK_CLICKHOUSE_HTTP_PORT', 8123),
      clickhouseTcp: portEnv('ULASAN_STACK_CLICKHOUSE_TCP_PORT', 19000),
    },
    kafkaAuth: kafkaAuthEnv(),
  };
}

function kafkaAuthEnv(): 'plaintext' | 'scram' {
  // SCRAM with ACLs unless PLAINTEXT is asked for explicitly (a separate broker configuration
  // without the authorizer, for local development only).
  const v = process.env.ULASAN_STACK_KAFKA_AUTH ?? 'scram';
  if (v !== 'plaintext' && v !== 'scram') {
    throw new StackError('BAD_CONFIG', `ULASAN_STACK_KAFKA_AUTH must be plaintext or scram, got "${v}"`);
  }
  return v;
}

export function requireTool(tool: 'java' | 'mvn', hint: string): void {
  const r = spawnSync(tool, tool === 'java' ? ['-version'] : ['-v'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new StackError(tool === 'java' ? 'JAVA_MISSING' : 'MAVEN_MISSING', `${tool} was not found on PATH: ${hint}`);
  }
}

function mvn(layout: StackLayout, args: string[]): void {
  requireTool('mvn', 'install Apache Maven (Debian: apt-get install maven)');
  const r = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      path.join(layout.root, 'stack/pom.xml'),
      `-Dmaven.repo.local=${path.join(layout.lib, 'm2')}`,
      ...args,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0)
    throw new StackError('RESOLVE_FAILED', `mvn ${args[0]} failed (exit ${r.status}); see output above`);
}

/** Resolves Kafka's jars once into .stack/lib/kafka; a marker file makes later runs free. */
export function resolveKafka(layout: StackLayout): string {
  const libDir = path.join(layout.lib, `kafka-${KAFKA_VERSION}`);
  const marker = path.join(libDir, '.complete');
  if (!existsSync(marker)) {
    mvn(layout, [
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libDir}`,
      '-DincludeScope=runtime',
      `-Dkafka.version=${KAFKA_VERSION}`,
    ]);
    writeFileSync(marker, new Date().toISOString());
  }
  return libDir;
}

function resolveApicurio(layout: StackLayout): string {
  const home = path.join(layout.lib, `apicurio-${APICURIO_VERSION}`);
  const marker = path.join(home, '.complete');
  if (!existsSync(marker)) {
    const dist = path.join(layout.lib, 'dist');
    mvn(layout, [
      'dependency:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${dist}`,
    ]);
    mkdirSync(home, { recursive: true });
    const tgz = path.join(dist, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
    const r = spawnSync('tar', ['xzf', tgz, '-C', home], { stdio: 'inherit' });
    if (r.status !== 0) throw new StackError('RESOLVE_FAILED', `could not unpack ${tgz}`);
    writeFileSync(marker, new Date().toISOString());
  }
  return home;
}

export { KAFKA_IDENTITIES, type KafkaCredentials, type KafkaIdentity } from './kafka-auth.js';

/** Random passwords made once per stack directory (kept in .stack/kafka/credentials.json, mode 600). */
export function kafkaCredentials(layout: StackLayout): KafkaCredentials {
  return kafkaCredentialsFile(path.join(layout.dir, 'kafka', 'credentials.json'));
}

/** The stack's broker settings for SCRAM (see kafka-auth.ts). */
function scramProperties(layout: StackLayout): string[] {
  const { kafka: port, controller } = layout.ports;
  return scramBrokerProperties({
    listen: `127.0.0.1:${port}`,
    advertised: `127.0.0.1:${port}`,
    controllerListen: `127.0.0.1:${controller}`,
    credentials: kafkaCredentials(layout),
  });
}

function plaintextProperties(layout: StackLayout): string[] {
  const { kafka: port, controller } = layout.ports;
  return [
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
  ];
}

/** The admin identity's client settings when the stack's Kafka runs with SCRAM, else undefined. */
export function stackKafkaSasl(layout: StackLayout): { username: string; password: string } | undefined {
  return layout.kafkaAuth === 'scram' ? kafkaCredentials(layout).users['ulasan-admin'] : undefined;
}

/** The auth mode the Kafka data directory was last run in (null: not formatted yet). */
export function kafkaDataMode(layout: StackLayout): 'plaintext' | 'scram' | null {
  const home = path.join(layout.dir, 'kafka');
  if (!existsSync(path.join(home, 'data', 'meta.properties'))) return null;
  const file = path.join(home, 'auth-mode');
  return existsSync(file) && readFileSync(file, 'utf8').trim() === 'scram' ? 'scram' : 'plaintext';
}

/** Records the mode the data directory now runs in (after a format or a migration). */
export function markKafkaDataMode(layout: StackLayout, mode: 'plaintext' | 'scram'): void {
  writeFileSync(path.join(layout.dir, 'kafka', 'auth-mode'), mode);
}

/**
 * The migration of a data directory formatted without SCRAM users: with the broker running in its
 * old PLAINTEXT configuration, every identity's SCRAM-SHA-512 credential is added through Kafka's
 * own ConfigCommand (kafkajs has no AlterUserScramCredentials). KRaft keeps the credentials in its
 * metadata log, so topics and offsets stay. The caller restarts the broker with SCRAM afterwards.
 */
export function addScramUsers(layout: StackLayout, only?: readonly string[], asAdmin = false): void {
  const lib = path.join(resolveKafka(layout), '*');
  const bootstrap = `127.0.0.1:${layout.ports.kafka}`;
  const creds = kafkaCredentials(layout);
  // On a SCRAM broker the command itself must log in: as the admin, from a file only we can read.
  const adminConfig = path.join(layout.dir, 'kafka', 'admin-client.properties');
  if (asAdmin)
    writeFileSync(adminConfig, clientProperties(creds.users['ulasan-admin']).join('\n') + '\n', { mode: 0o600 });
  const login = asAdmin ? ['--command-config', adminConfig] : [];
  for (const u of Object.values(creds.users).filter((x) => !only || only.includes(x.username))) {
    const args = ['-cp', lib, 'kafka.admin.ConfigCommand', '--bootstrap-server', bootstrap, ...login, '--alter'];
    const user = ['--add-config', `SCRAM-SHA-512=[password=${u.password}]`, '--entity-type', 'users'];
    const r = spawnSync('java', [...args, ...user, '--entity-name', u.username], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new StackError('START_FAILED', `adding SCRAM user ${u.username} failed: ${r.stderr || r.stdout}`);
    }
  }
  markScramUsers(layout);
}

const usersMarker = (layout: StackLayout): string => path.join(layout.dir, 'kafka', 'scram-users');

/** Records which identities the broker has SCRAM users for (all of today's, after a format or an addition). */
export function markScramUsers(layout: StackLayout): void {
  writeFileSync(usersMarker(layout), Object.keys(kafkaCredentials(layout).users).join('\n'));
}

/** Identities without a SCRAM user on this data directory (a processor added since it was formatted). */
export function missingScramUsers(layout: StackLayout): string[] {
  const file = usersMarker(layout);
  // Formatted before the marker existed: every identity but the scraper, the first one added later.
  const have = existsSync(file)
    ? readFileSync(file, 'utf8').split('\n')
    : KAFKA_IDENTITIES.filter((u) => u !== 'ulasan-scraper');
  return Object.keys(kafkaCredentials(layout).users).filter((u) => !have.includes(u));
}

/**
 * Formats the data directory once. With SCRAM the users are created here (KRaft takes them at
 * format time). A directory already formatted is left alone: one formatted without users is
 * migrated by the stack before the broker starts with SCRAM (stack.ts).
 */
function formatStorage(layout: StackLayout, lib: string, home: string, data: string): void {
  if (existsSync(path.join(data, 'meta.properties'))) return;
  const scram = layout.kafkaAuth === 'scram' ? scramFormatArgs(kafkaCredentials(layout)) : [];
  const args = ['-cp', `${lib}/*`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${newClusterId()}`];
  const r = spawnSync('java', [...args, '-c', path.join(home, 'server.properties'), ...scram], { encoding: 'utf8' });
  if (r.status !== 0) throw new StackError('START_FAILED', `kafka storage format failed: ${r.stderr || r.stdout}`);
  markKafkaDataMode(layout, layout.kafkaAuth);
  if (layout.kafkaAuth === 'scram') markScramUsers(layout);
}

const kafka: ServiceSpec = {
  name: 'kafka',
  marker: 'kafka.Kafka',
  prepare(layout) {
    requireTool('java', 'install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)');
    const lib = resolveKafka(layout);
    const home = path.join(layout.dir, 'kafka');
    const data = path.join(home, 'data');
    mkdirSync(data, { recursive: true });
    const { controller } = layout.ports;
    const props = singleNodeProperties({
      controllerVoter: `127.0.0.1:${controller}`,
      logDir: data,
      auth: layout.kafkaAuth === 'scram' ? scramProperties(layout) : plaintextProperties(layout),
    });
    writeFileSync(path.join(home, 'server.properties'), props.join('\n') + '\n', { mode: 0o600 });
    formatStorage(layout, lib, home, data);
  },
  command(layout) {
    const lib = path.join(layout.lib, `kafka-${KAFKA_VERSION}`);
    return {
      cmd: 'java',
      args: [
        '-Xms256m',
        '-Xmx1g',
        '-XX:+UseG1GC',
        `-Dlog4j2.configurationFile=${path.join(layout.root, 'stack/log4j2.properties')}`,
        '-cp',
        `${lib}/*`,
        'kafka.Kafka',
        path.join(layout.dir, 'kafka', 'server.properties'),
      ],
    };
  },
  url: (l) => `127.0.0.1:${l.ports.kafka}`,
};

const registry: ServiceSpec = {
  name: 'registry',
  marker: 'apicurio-registry-app',
  prepare(layout) {
    requireTool('java', 'install a JDK 17+ (Debian: apt-get install openjdk-17-jre-headless)');
    resolveApicurio(layout);
    mkdirSync(path.join(layout.dir, 'registry'), { recursive: true });
  },
  command(layout) {
    const home = path.join(layout.lib, `apicurio-${APICURIO_VERSION}`);
    const jar = readdirSync(home).find((f) => f.endsWith('-runner.jar'));
    if (!jar) throw new StackError('RESOLVE_FAILED', `no *-runner.jar in ${home}`);
    return {
      cmd: 'java',
      args: [
        '-Xmx512m',
        // Private: only the guard in front of it (registry-guard below) listens on the public port.
        `-Dquarkus.http.port=${layout.ports.registryPrivate}`,
        '-Dquarkus.http.host=127.0.0.1',
        // H2 on disk next to Kafka's data: Kafka keeps records across restarts, so the schema ids
        // they carry must survive too (an in-memory registry would hand the same ids to new schemas).
        `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(layout.dir, 'registry', 'db')}`,
        '-Dapicurio.rest.deletion.artifact.enabled=true',
        '-Dapicurio.rest.deletion.artifact-version.enabled=true',
        '-Dapicurio.rest.deletion.group.enabled=true',
        '-jar',
        path.join(home, jar),
      ],
    };
  },
  url: (l) => `http://127.0.0.1:${l.ports.registryPrivate}/apis/ccompat/v7`,
};

/**
 * The registry's guard on its public port: reads and BACKWARD-checked registrations for anyone,
 * compatibility, rules and deletions only for the admin identity (see stack/registry-guard.ts).
 * Its identities are the stack's Kafka credentials file; no credential is on its command line.
 */
const registryGuard: ServiceSpec = {
  name: 'registry-guard',
  marker: 'stack/registry-guard.ts',
  prepare(layout) {
    kafkaCredentials(layout); // made here if the stack has none yet
  },
  command: (layout) => ({
    cmd: process.execPath,
    args: ['--import', 'tsx', path.join(layout.root, 'stack/registry-guard.ts')],
    env: {
      REGISTRY_GUARD_HOST: '127.0.0.1',
      REGISTRY_GUARD_PORT: String(layout.ports.registry),
      REGISTRY_GUARD_UPSTREAM: `http://127.0.0.1:${layout.ports.registryPrivate}`,
      REGISTRY_GUARD_CREDENTIALS_FILE: path.join(layout.dir, 'kafka', 'credentials.json'),
    },
  }),
  url: (l) => `http://127.0.0.1:${l.ports.registry}/apis/ccompat/v7`,
};

export interface ClickHouseCredentials {
  writer: { username: string; password: string };
  reader: { username: string; password: string };
}

/**
 * The per-role users of the local clickhouse-server (the same users.d file docker-compose mounts):
 * random passwords made on first start and kept in the stack directory, passed to the server by
 * environment (the file reads them with from_env) and to tests by this function.
 */
export function clickhouseCredentials(layout: StackLayout): ClickHouseCredentials {
  return credentialsFile(path.join(layout.dir, 'clickhouse', 'credentials.json'), (pw) => ({
    writer: { username: 'ulasan_writer', password: pw() },
    reader: { username: 'ulasan_reader', password: pw() },
  }));
}

/** An old-but-real ClickHouse server (Debian ships 18.16) used only to check the HTTP transport. */
const clickhouseServer: ServiceSpec = {
  name: 'clickhouse-server',
  marker: 'clickhouse',
  prepare(layout) {
    const r = spawnSync('clickhouse-server', ['--help'], { stdio: 'ignore' });
    if (r.error)
      throw new StackError(
        'CLICKHOUSE_MISSING',
        'clickhouse-server not on PATH (Debian: apt-get install clickhouse-server)',
      );
    const home = path.join(layout.dir, 'clickhouse');
    for (const d of ['data', 'tmp', 'user_files', 'users.d']) mkdirSync(path.join(home, d), { recursive: true });
    const roles = path.join(layout.root, 'deploy', 'clickhouse', 'users.d', 'ulasan-roles.xml');
    copyFileSync(roles, path.join(home, 'users.d', 'ulasan-roles.xml'));
    clickhouseCredentials(layout);
    const { clickhouseHttp, clickhouseTcp } = layout.ports;
    writeFileSync(
      path.join(home, 'users.xml'),
      `<yandex><profiles><default/></profiles><quotas><default/></quotas><users><default><password></password>` +
        `<networks><ip>::1</ip><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota>` +
        `</default></users></yandex>\n`,
    );
    writeFileSync(
      path.join(home, 'config.xml'),
      `<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${clickhouseHttp}</http_port>
  <tcp_port>${clickhouseTcp}</tcp_port>
  <path>${home}/data/</path>
  <tmp_path>${home}/tmp/</tmp_path>
  <user_files_path>${home}/user_files/</user_files_path>
  <users_config>${home}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
</yandex>
`,
    );
  },
  command: (layout) => ({
    cmd: 'clickhouse-server',
    args: [`--config-file=${path.join(layout.dir, 'clickhouse', 'config.xml')}`],
    env: ((c) => ({
      CLICKHOUSE_WRITER_PASSWORD: c.writer.password,
      CLICKHOUSE_READER_PASSWORD: c.reader.password,
    }))(clickhouseCredentials(layout)),
  }),
  url: (l) => `http://127.0.0.1:${l.ports.clickhouseHttp}`,
};

export const SERVICES = {
  kafka,
  registry,
  'registry-guard': registryGuard,
  'clickhouse-server': clickhouseServer,
} as const;
export type ServiceName = keyof typeof SERVICES;
export const DEFAULT_SERVICES: ServiceName[] = ['kafka', 'registry', 'registry-guard'];

/** The admin identity's registry credentials (HTTP basic at the guard): the Kafka admin's. */
export function registryAdmin(layout: StackLayout): { username: string; password: string } {
  return kafkaCredentials(layout).users['ulasan-admin'];
}
