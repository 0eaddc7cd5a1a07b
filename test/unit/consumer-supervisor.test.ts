// ConsumerSupervisor against a stand-in for the kafkajs consumer (the real broker restart is in
// test/integration/scram-restart.test.ts): what it rebuilds, when, and when it stops.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Consumer } from '../../platform/kafka/kafka.js';
import { ConsumerSupervisor } from '../../platform/kafka/supervisor.js';
import { isRetriable, isTransientSaslFailure } from '../../platform/outage.js';
import { createLogger } from '../../platform/logger.js';

const EVENTS = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' };

function fakeConsumer() {
  const bus = new EventEmitter();
  const calls: string[] = [];
  const consumer = {
    events: EVENTS,
    on: (name: string, fn: (e: unknown) => void) => bus.on(name, fn),
    run: vi.fn(async () => void calls.push('run')),
    stop: vi.fn(async () => void calls.push('stop')),
    connect: vi.fn(async () => void calls.push('connect')),
    disconnect: vi.fn(async () => void calls.push('disconnect')),
  };
  const crash = (restart: boolean, error = new Error('x')) => bus.emit(EVENTS.CRASH, { payload: { error, restart } });
  const join = () => bus.emit(EVENTS.GROUP_JOIN, { payload: {} });
  return { consumer: consumer as unknown as Consumer, calls, crash, join };
}

const log = createLogger('supervisor-test', 'silent');
const runConfig = { eachMessage: async () => undefined };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('ConsumerSupervisor', () => {
  it('rebuilds a consumer kafkajs does not restart (stop, connect, run again), with backoff', async () => {
    const f = fakeConsumer();
    const reasons: string[] = [];
    const s = new ConsumerSupervisor(f.consumer, runConfig, { log, onRebuild: (r) => reasons.push(r) });
    await s.run();
    expect(f.calls).toEqual(['run']);
    const sasl = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Closed connection'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    f.crash(false, sasl);
    await vi.advanceTimersByTimeAsync(999);
    expect(f.calls).toEqual(['run']);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.calls).toEqual(['run', 'stop', 'connect', 'run']);
    expect(reasons[0]).toMatch(/does not restart: KafkaJSSASLAuthenticationError: .*Closed connection/);
    // The rebuilt start crashes again: the next try waits twice as long.
    f.crash(false);
    await vi.advanceTimersByTimeAsync(1999);
    expect(s.rebuilds).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.rebuilds).toBe(2);
  });

  it('leaves a crash kafkajs restarts to kafkajs, and acts when that restart never joins', async () => {
    const f = fakeConsumer();
    const s = new ConsumerSupervisor(f.consumer, runConfig, { log, hangMs: 10_000 });
    await s.run();
    f.crash(true);
    await vi.advanceTimersByTimeAsync(9000);
    f.join(); // kafkajs' own restart worked
    await vi.advanceTimersByTimeAsync(60_000);
    expect(s.rebuilds).toBe(0);
    f.crash(true);
    await vi.advanceTimersByTimeAsync(10_000 + 1000);
    expect(s.rebuilds).toBe(1);
    expect(f.calls).toEqual(['run', 'stop', 'connect', 'run']);
  });

  it('never rebuilds a consumer its owner disconnected', async () => {
    const f = fakeConsumer();
    const s = new ConsumerSupervisor(f.consumer, runConfig, { log });
    await s.run();
    f.crash(false);
    await f.consumer.disconnect();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(s.rebuilds).toBe(0);
    expect(f.calls).toEqual(['run', 'disconnect']);
  });

  it('retries a rebuild that throws', async () => {
    const f = fakeConsumer();
    const s = new ConsumerSupervisor(f.consumer, runConfig, { log });
    await s.run();
    vi.mocked(f.consumer.connect).mockRejectedValueOnce(new Error('broker not up'));
    f.crash(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.rebuilds).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(s.rebuilds).toBe(2);
    expect(f.calls.at(-1)).toBe('run');
  });
});

describe('SASL failures', () => {
  const sasl = (message: string) => Object.assign(new Error(message), { name: 'KafkaJSSASLAuthenticationError' });

  it('a handshake the broker cut off or answered late is an outage (a wait)', () => {
    for (const m of [
      'SASL SCRAM SHA512 authentication failed: Closed connection',
      'SASL SCRAM SHA512 authentication failed: Request SaslAuthenticate(key: 36, version: 1) timed out',
    ]) {
      expect(isTransientSaslFailure(sasl(m))).toBe(true);
      expect(isRetriable(sasl(m))).toBe(true);
    }
  });

  it('refused credentials are not', () => {
    for (const m of [
      'SASL SCRAM SHA512 authentication failed: Invalid username or password',
      'SASL SCRAM SHA512 authentication failed: Invalid server signature in server final message',
    ])
      expect(isRetriable(sasl(m))).toBe(false);
    expect(isTransientSaslFailure(new Error('Closed connection'))).toBe(false);
  });
});
