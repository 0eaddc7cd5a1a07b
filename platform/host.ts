// The processor host contract: what a processor declares (Topology, CommitPolicy), what it is given
// (Context) and what it hands back (ProcessorHandle), and its health from real signals. Types and one
// small class only, so every floor above can depend on it without pulling in the clients it names.
import type { Registry } from 'prom-client';
import type { BaseConfig } from './config.js';
import type { KafkaClient } from './kafka/kafka.js';
import type { Logger } from './logger.js';
import type { AvroSerde } from './serde/serde.js';
import type { ClickHouseStore } from './clickhouse/store.js';
import type { PunctuationKind, Scheduler } from './scheduler.js';
import type { TopicKey, TopicNames } from './kafka/topics.js';

/**
 * When a processor commits its input offsets:
 * - `transaction`: with its outputs, in one Kafka transaction, after its ClickHouse rows (scoring);
 * - `after-store`: once the batch's rows are stored and its dead letters sent (sinks, review store);
 * - `held`: no further than the oldest record a not-yet-stored window still needs (drift);
 * - `on-start`: once the work a record asks for has durably started (training launcher);
 * - `none`: reads state at start-up only, commits nothing (trigger state, registry follower).
 */
export type CommitPolicy = 'transaction' | 'after-store' | 'held' | 'on-start' | 'none';

/**
 * What a processor declares: its input and output topics (each bound to its Avro type), tables,
 * commits, punctuators.
 */
export interface Topology {
  inputs: TopicKey[];
  outputs: TopicKey[];
  /**
   * Topics read outside the main consumer: the followed registry, a state topic read to its end at
   * start. They are not subscribed; the processor's Kafka identity is granted read on them.
   */
  reads?: TopicKey[];
  tables: string[];
  commit: CommitPolicy;
  /**
   * Scheduled work (run by `ctx.scheduler`, never a timer of the processor's own), with the variable
   * that sets its interval and whether it runs on the wall clock or on the stream's event time.
   */
  punctuators: { name: string; every: string; kind: PunctuationKind }[];
}

export interface Context {
  config: BaseConfig;
  /** The environment the process was configured from; processors parse their own variables from it. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  metrics: Registry;
  kafka: KafkaClient;
  serde: AvroSerde;
  store: ClickHouseStore;
  topics: TopicNames;
  /**
   * Punctuation (`ctx.scheduler.schedule(every, kind, fn)`): wall-clock or event-time work, one
   * scheduler per processor, stopped with it. Processors never run timers of their own.
   */
  scheduler: Scheduler;
}

export interface ProcessorHandle {
  stop(): Promise<void>;
  healthy(): boolean;
  [extra: string]: unknown;
}

export interface Processor {
  name: string;
  /** Inputs, outputs, tables, commit policy and punctuators (printed by `npm run processors -- --topology`). */
  topology: Topology;
  /** Resolves once the processor is consuming; stop() drains and commits. */
  start(ctx: Context): Promise<ProcessorHandle>;
}

/** The Kafka identity a processor uses when the runner hosts one client per identity. */
export const identityOf = (processor: string): string => `ulasan-${processor}`;

/** Health from real signals: a crashed consumer, or a dependency wait that has lasted too long. */
export class Health {
  private crashed: string | null = null;
  private readonly waits = new Map<string, number>();

  constructor(private readonly stallMs = 60_000) {}

  crash(reason: string): void {
    this.crashed = reason;
  }

  recovered(): void {
    this.crashed = null;
  }

  /** A dependency wait began (`what`) or ended (`ok`). */
  waiting(what: string, since = Date.now()): void {
    if (!this.waits.has(what)) this.waits.set(what, since);
  }

  ok(what: string): void {
    this.waits.delete(what);
  }

  problems(now = Date.now()): string[] {
    const out = this.crashed ? [`consumer crashed: ${this.crashed}`] : [];
    for (const [what, since] of this.waits)
      if (now - since >= this.stallMs) out.push(`${what} failing for ${now - since} ms`);
    return out;
  }

  healthy(now = Date.now()): boolean {
    return this.problems(now).length === 0;
  }
}
