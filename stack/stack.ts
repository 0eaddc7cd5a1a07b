// Lifecycle of the local stack: up (idempotent), down (no process left behind), status.
// Each service runs detached in its own process group with its pid in .stack/run/<name>.pid.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StackError } from '../platform/errors.js';
import { createKafka } from '../platform/kafka/kafka.js';
import { setGlobalCompatibility } from '../platform/serde/serde.js';
import {
  addScramUsers,
  missingScramUsers,
  kafkaDataMode,
  markKafkaDataMode,
  registryAdmin,
  SERVICES,
  stackKafkaSasl,
  type ServiceName,
  type StackLayout,
} from './services.js';

export interface ServiceStatus {
  name: ServiceName;
  pid: number | null;
  alive: boolean;
  ready: boolean;
  url: string;
  log: string;
}

export interface UpResult {
  name: ServiceName;
  /** moved: a registry an earlier stack version ran on the public port, restarted on its private one. */
  action: 'started' | 'already-running' | 'moved';
  pid: number;
  seconds: number;
}

const pidFile = (l: StackLayout, name: ServiceName): string => path.join(l.run, `${name}.pid`);
const logFile = (l: StackLayout, name: ServiceName): string => path.join(l.logs, `${name}.log`);

function readPid(l: StackLayout, name: ServiceName): number | null {
  try {
    const n = Number(readFileSync(pidFile(l, name), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** Alive AND still our process: a pid recycled by the OS for something else does not count. */
export function pidAlive(pid: number, marker?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z /.test(stat)) return false; // zombie: exited, not yet reaped
    if (marker) return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
  return true;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function probe(l: StackLayout, name: ServiceName, timeoutMs = 2000): Promise<boolean> {
  switch (name) {
    case 'kafka': {
      const client = createKafka({
        brokers: [SERVICES.kafka.url(l)],
        clientId: 'ulasan-stack-probe',
        connectionTimeout: 1000,
        retries: 0,
        sasl: stackKafkaSasl(l),
      });
      try {
        await client.probeReady(Math.max(timeoutMs, 15_000));
        return true;
      } catch {
        return false;
      }
    }
    case 'registry':
      return (
        (await httpOk(`http://127.0.0.1:${l.ports.registryPrivate}/health/ready`)) &&
        (await httpOk(`${SERVICES.registry.url(l)}/subjects`))
      );
    case 'registry-guard':
      return httpOk(`${SERVICES['registry-guard'].url(l)}/subjects`);
    case 'clickhouse-server':
      return httpOk(`http://127.0.0.1:${l.ports.clickhouseHttp}/ping`);
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The first lines that say why a service stopped (a shutdown's last lines rarely do). */
function firstErrors(file: string, lines = 8): string {
  try {
    const hits = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /\b(ERROR|FATAL)\b|Exception|Address already in use/.test(l));
    return hits.length > 0 ? hits.slice(0, lines).join('\n') : '(none)';
  } catch {
    return '(no log)';
  }
}

async function waitReady(l: StackLayout, name: ServiceName, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid, SERVICES[name].marker)) {
      throw new StackError(
        'START_FAILED',
        `${name} exited during start-up; first errors:\n${firstErrors(logFile(l, name))}\n` +
          `last log lines:\n${tail(logFile(l, name))}`,
      );
    }
    if (await probe(l, name)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new StackError('NOT_READY', `${name} not ready after ${timeoutMs / 1000} s; see ${logFile(l, name)}`);
}

/**
 * A Kafka data directory last run without SCRAM users, started with SCRAM: run it once more in its
 * PLAINTEXT configuration, add every identity's credential, stop it. Topics and offsets stay.
 */
async function migrateKafkaToScram(l: StackLayout): Promise<void> {
  const plain: StackLayout = { ...l, kafkaAuth: 'plaintext' };
  await upService(plain, 'kafka');
  addScramUsers(l);
  await downService(l, 'kafka');
  markKafkaDataMode(l, 'scram');
}

/** A processor added since the data directory was formatted: its SCRAM user is added now (as the admin). */
function addMissingScramUsers(l: StackLayout): void {
  if (l.kafkaAuth !== 'scram') return;
  const missing = missingScramUsers(l);
  if (missing.length) addScramUsers(l, missing, true);
}

const portFile = (l: StackLayout): string => path.join(l.run, 'registry.port');

/**
 * A registry started by an earlier version of the stack listens on the public port, where the guard
 * must now be: it is restarted on its private port (its H2 data stays).
 */
async function moveRegistryBehindGuard(l: StackLayout): Promise<boolean> {
  const pid = readPid(l, 'registry');
  if (!pid || !pidAlive(pid, SERVICES.registry.marker)) return false;
  const port = existsSync(portFile(l)) ? Number(readFileSync(portFile(l), 'utf8').trim()) : l.ports.registry;
  if (port === l.ports.registryPrivate) return false;
  await downService(l, 'registry');
  return true;
}

/** After the guard is up: the global compatibility BACKWARD, set as the admin through the guard. */
async function afterReady(l: StackLayout, name: ServiceName): Promise<void> {
  if (name === 'kafka') addMissingScramUsers(l);
  if (name === 'registry') writeFileSync(portFile(l), String(l.ports.registryPrivate));
  if (name === 'registry-guard') await setGlobalCompatibility(SERVICES['registry-guard'].url(l), registryAdmin(l));
}

export async function upService(l: StackLayout, name: ServiceName, timeoutMs = 120_000): Promise<UpResult> {
  const t0 = Date.now();
  const spec = SERVICES[name];
  mkdirSync(l.logs, { recursive: true });
  mkdirSync(l.run, { recursive: true });
  const moved = name === 'registry' && (await moveRegistryBehindGuard(l));
  const existing = readPid(l, name);
  if (existing && pidAlive(existing, spec.marker)) {
    const mode = name === 'kafka' ? kafkaDataMode(l) : null;
    if (mode && mode !== l.kafkaAuth) {
      throw new StackError(
        'BAD_CONFIG',
        `Kafka is running with ${mode}, the stack now asks for ${l.kafkaAuth}: ` +
          'npm run stack:down, then start it again (a PLAINTEXT data directory is migrated to SCRAM on start)',
      );
    }
    await waitReady(l, name, existing, timeoutMs);
    await afterReady(l, name);
    return { name, action: 'already-running', pid: existing, seconds: (Date.now() - t0) / 1000 };
  }
  if (name === 'kafka') {
    const mode = kafkaDataMode(l);
    if (mode === 'plaintext' && l.kafkaAuth === 'scram') await migrateKafkaToScram(l);
    // Back to PLAINTEXT (the explicit switch) needs no step: the users stay in the metadata, unused.
    else if (mode === 'scram' && l.kafkaAuth === 'plaintext') markKafkaDataMode(l, 'plaintext');
  }
  spec.prepare(l);
  const { cmd, args, env } = spec.command(l);
  const fd = openSync(logFile(l, name), 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: l.root,
    env: env ? { ...process.env, ...env } : process.env,
  });
  closeSync(fd);
  if (!child.pid) throw new StackError('START_FAILED', `could not spawn ${cmd}`);
  child.unref();
  writeFileSync(pidFile(l, name), String(child.pid));
  await waitReady(l, name, child.pid, timeoutMs);
  await afterReady(l, name);
  return { name, action: moved ? 'moved' : 'started', pid: child.pid, seconds: (Date.now() - t0) / 1000 };
}

export async function up(l: StackLayout, names: ServiceName[]): Promise<UpResult[]> {
  // Resolve/prepare sequentially (Maven output stays readable), then start what is missing.
  const results: UpResult[] = [];
  for (const n of names) results.push(await upService(l, n));
  return results;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return !pidAlive(pid);
}

export async function downService(l: StackLayout, name: ServiceName): Promise<'stopped' | 'not-running'> {
  const pid = readPid(l, name);
  const file = pidFile(l, name);
  if (!pid || !pidAlive(pid, SERVICES[name].marker)) {
    if (existsSync(file)) rmSync(file);
    return 'not-running';
  }
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig); // the whole process group: a JVM's helpers go too
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signalGroup('SIGTERM');
  if (!(await waitGone(pid, 30_000))) {
    signalGroup('SIGKILL');
    if (!(await waitGone(pid, 10_000))) throw new StackError('START_FAILED', `${name} (pid ${pid}) survived SIGKILL`);
  }
  rmSync(file, { force: true });
  return 'stopped';
}

export async function down(l: StackLayout, names: ServiceName[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // Reverse order: clients of Kafka (none yet) before Kafka.
  for (const n of [...names].reverse()) out[n] = await downService(l, n);
  return out;
}

export async function status(l: StackLayout, names: ServiceName[]): Promise<ServiceStatus[]> {
  return Promise.all(
    names.map(async (name) => {
      const pid = readPid(l, name);
      const alive = pid !== null && pidAlive(pid, SERVICES[name].marker);
      return {
        name,
        pid,
        alive,
        ready: alive && (await probe(l, name)),
        url: SERVICES[name].url(l),
        log: logFile(l, name),
      };
    }),
  );
}
