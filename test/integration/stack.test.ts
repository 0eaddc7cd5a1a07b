// The stack tool on a second, private stack (own directory and ports; jars shared with the main one):
// `up` twice is a no-op the second time, and `down` leaves no process behind.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../platform/kafka/kafka.js';
import { kafkaCredentials, kafkaDataMode, layoutFor } from '../../stack/services.js';
import { downService, upService } from '../../stack/stack.js';
import { ROOT, freshDir, privateKafkaLayout } from '../helpers.js';

const dir = freshDir('stack');
const env = {
  ...process.env,
  ULASAN_STACK_DIR: dir,
  ULASAN_STACK_LIB_DIR: layoutFor(ROOT).lib,
  // Off the ports of the other private brokers (29092 faults, 29192 feedback, 29292 SCRAM, 29492 migration, 29592 SCRAM restart).
  ULASAN_STACK_KAFKA_PORT: '29392',
  ULASAN_STACK_CONTROLLER_PORT: '29393',
  ULASAN_STACK_REGISTRY_PORT: '28081',
};

function cli(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'stack/cli.ts'), ...args], {
    env,
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 170_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Running = exists and is not a zombie (an exited child waiting for init to reap it is gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every live process whose command line mentions the private stack directory. */
function processesUsing(marker: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker)) pids.push(Number(p));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

describe('stack tool', () => {
  it('starts once, no-ops the second time, and stops everything', { timeout: 300_000 }, () => {
    const first = cli('up');
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/kafka\s+started/);
    expect(first.out).toMatch(/registry\s+started/);
    const pids = ['kafka', 'registry'].map((n) => Number(readFileSync(path.join(dir, 'run', `${n}.pid`), 'utf8')));

    const second = cli('up');
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/kafka\s+already-running/);
    expect(second.out).toMatch(/registry\s+already-running/);
    const pidsAfter = ['kafka', 'registry'].map((n) => Number(readFileSync(path.join(dir, 'run', `${n}.pid`), 'utf8')));
    expect(pidsAfter).toEqual(pids);

    const status = cli('status');
    expect(status.code, status.out).toBe(0);
    expect(status.out).toMatch(/kafka\s+pid \d+ ready/);

    const down = cli('down');
    expect(down.code, down.out).toBe(0);
    for (const pid of pids) expect(running(pid), `pid ${pid} still running`).toBe(false);
    expect(processesUsing(dir)).toEqual([]);
    expect(cli('status').code).toBe(3);
  });

  it('migrates a PLAINTEXT data directory to SCRAM on start, keeping its topics', { timeout: 300_000 }, async () => {
    const plain = privateKafkaLayout('migrate-stack', 29492, 'plaintext');
    const brokers = [`127.0.0.1:${plain.ports.kafka}`];
    const topic = { key: 'probe' as const, name: 'kept-across-migration', partitions: 2, config: {} };
    try {
      await upService(plain, 'kafka');
      await createKafka({ brokers, clientId: 'migrate-plain' }).ensureTopics([topic]);
      await downService(plain, 'kafka');
      const scram = { ...plain, kafkaAuth: 'scram' as const };
      await upService(scram, 'kafka');
      expect(kafkaDataMode(scram)).toBe('scram');
      const sasl = kafkaCredentials(scram).users['ulasan-admin'];
      const admin = createKafka({ brokers, clientId: 'migrate-admin', sasl }).admin();
      await admin.connect();
      expect(await admin.listTopics()).toContain(topic.name);
      await admin.disconnect();
      const anonymous = createKafka({ brokers, clientId: 'migrate-anon', retries: 0, connectionTimeout: 2000 }).admin();
      await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow();
    } finally {
      await downService(plain, 'kafka');
    }
  });
});
