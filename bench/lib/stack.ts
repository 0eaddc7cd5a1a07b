// A benchmark that needs the local stack checks for it first and says how to start it, instead of
// dying after kafkajs's retries with a KafkaJSNumberOfRetriesExceeded stack trace.
import { connect } from 'node:net';
import { layoutFor, stackKafkaSasl } from '../../stack/services.js';
import { parseConfig } from '../../platform/config.js';
import { ROOT } from '../../test/helpers.js';

const PROBE_MS = 2000;

function stackIdentity(layout: ReturnType<typeof layoutFor>) {
  try {
    return stackKafkaSasl(layout);
  } catch {
    return undefined; // no credentials file: a stack never started; the probe below says so
  }
}

function tcpOpen(hostPort: string): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  const [host, port] = [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: PROBE_MS });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function httpAnswers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(PROBE_MS) });
    return true;
  } catch {
    return false;
  }
}

/**
 * Exits 2 with how to start the stack when Kafka or the registry does not answer. Like the test
 * setup, a process with no Kafka identity of its own talks to the stack's Kafka as its admin.
 */
export async function requireStack(): Promise<void> {
  const layout = layoutFor(ROOT);
  if (process.env.KAFKA_BROKERS === undefined) {
    // The stack's own ports (ULASAN_STACK_KAFKA_PORT and friends), as the stack scripts use them.
    process.env.KAFKA_BROKERS = `127.0.0.1:${layout.ports.kafka}`;
    process.env.SCHEMA_REGISTRY_URL ??= `http://127.0.0.1:${layout.ports.registry}/apis/ccompat/v7`;
    const sasl = stackIdentity(layout);
    if (sasl && process.env.KAFKA_SASL_USERNAME === undefined) {
      process.env.KAFKA_SASL_USERNAME = sasl.username;
      process.env.KAFKA_SASL_PASSWORD = sasl.password;
    }
  }
  const cfg = parseConfig({});
  const brokers = await Promise.all(cfg.KAFKA_BROKERS.map(tcpOpen));
  const missing = [
    ...(brokers.some(Boolean) ? [] : [`Kafka (${cfg.KAFKA_BROKERS.join(', ')})`]),
    ...((await httpAnswers(cfg.SCHEMA_REGISTRY_URL)) ? [] : [`the schema registry (${cfg.SCHEMA_REGISTRY_URL})`]),
  ];
  if (missing.length === 0) return;
  console.error(`the local stack is not running: start it with npm run stack:up`);
  console.error(`  no answer within ${PROBE_MS} ms from ${missing.join(' and ')}`);
  process.exit(2);
}
