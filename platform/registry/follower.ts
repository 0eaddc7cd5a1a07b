// One followed registry state per process. The compacted registry topic is read from the beginning
// once, by a throwaway consumer group, and then followed; the scorers (hot reload), the trigger, the
// launcher and the gateway's /models all read this one RegistryState instead of re-reading the
// topic on every tick or request. `sync()` waits until the state includes everything written before
// the call (read-your-writes after a promotion by another process).
//
// A registry outage while decoding is waited out (an event is never skipped for it). An unreadable
// event is counted and left to the registry mirror, which owns the topic's dead letters.
import { randomUUID } from 'node:crypto';
import type { ModelVersionEvent } from '../../schemas/types.generated.js';
import type { Context } from '../host.js';
import type { Consumer } from '../kafka/kafka.js';
import { ConsumerSupervisor } from '../kafka/supervisor.js';
import { counter } from '../metrics.js';
import { isRetriable, waitOutOutage } from '../outage.js';
import { ModelRegistry } from './registry.js';
import { RegistryState } from './state.js';

type Listener = (e: ModelVersionEvent) => void;

const followers = new WeakMap<Context, Promise<RegistryFollower>>();

export class RegistryFollower {
  readonly state = new RegistryState();
  private readonly listeners: Listener[] = [];
  /** Next offset to read, per partition. */
  private readonly positions = new Map<number, bigint>();
  private consumer: Consumer | null = null;
  private users = 0;
  private joinedAt = 0;
  private crashed = false;

  /**
   * False while the follower's consumer is down after a crash kafkajs does not restart (its state
   * would go stale), until the supervisor's rebuild joins again.
   */
  healthy(): boolean {
    return !this.crashed;
  }
  private lastProgress = 0;

  private constructor(private readonly ctx: Context) {}

  /** The process's follower (started and caught up on first use). Each user calls `release()`. */
  static async for(ctx: Context): Promise<RegistryFollower> {
    let f = followers.get(ctx);
    if (!f) {
      f = (async () => {
        const follower = new RegistryFollower(ctx);
        await follower.start();
        return follower;
      })();
      followers.set(ctx, f);
      f.catch(() => followers.delete(ctx));
    }
    const follower = await f;
    follower.users += 1;
    return follower;
  }

  /** Every event seen so far is replayed to the new listener, then each new one as it arrives. */
  onEvent(listener: Listener): void {
    for (const e of this.state.all()) listener(e);
    this.listeners.push(listener);
  }

  private async start(): Promise<void> {
    const { ctx } = this;
    const unreadable = counter(ctx.metrics, {
      name: 'ulasan_registry_follower_unreadable_total',
      help: 'Registry events the follower could not read',
    });
    const log = ctx.logger.child({ component: 'registry-follower' });
    const consumer = ctx.kafka.consumer({
      groupId: `ulasan-registry-follower-${randomUUID()}`,
      sessionTimeout: 30_000,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: ctx.topics.registry, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joinedAt = Date.now();
      this.crashed = false;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.crashed = !e.payload.restart;
      log.error({ err: e.payload.error, restart: e.payload.restart }, 'registry follower crashed');
    });
    // Supervised: a crash kafkajs gives up on (a SCRAM broker restart) is rebuilt, not left stale.
    const supervisor = new ConsumerSupervisor(
      consumer,
      {
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          try {
            const decode = () => ctx.serde.decode<ModelVersionEvent>(message.value, ctx.topics.registry);
            this.apply((await waitOutOutage(decode, { what: 'registry decode', log })).value);
          } catch (err) {
            if (isRetriable(err)) throw err;
            unreadable.inc();
            log.warn(
              { err: (err as Error).message, offset: message.offset },
              'unreadable registry event (the mirror dead-letters it)',
            );
          }
          this.advance(partition, BigInt(message.offset) + 1n);
        },
      },
      { log, hangMs: 2 * ctx.config.ULASAN_STALL_MS },
    );
    await supervisor.run();
    await this.sync();
  }

  /**
   * Applies an event and tells the listeners, once per event whoever brings it first: the consumer,
   * or a registry in this process that just wrote it (the scorers in the same runner must hear of a
   * promotion the launcher or the gateway made, though the consumer later finds it already applied).
   */
  apply(e: ModelVersionEvent): void {
    if (!this.state.apply(e)) return;
    for (const l of this.listeners) l(e);
  }

  private advance(partition: number, next: bigint): void {
    this.positions.set(partition, next);
    this.lastProgress = Date.now();
  }

  private caughtUp(targets: Map<number, bigint>): boolean {
    return [...targets].every(([p, high]) => (this.positions.get(p) ?? 0n) >= high);
  }

  /**
   * Resolves once every event written before the call has been applied. Transaction markers take
   * offsets but are never delivered, so after the group has joined, `idleMs` without progress also
   * counts as caught up; `maxMs` bounds the wait whatever happens.
   */
  async sync(idleMs = 1500, maxMs = 30_000): Promise<void> {
    const admin = this.ctx.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.ctx.topics.registry).finally(() => admin.disconnect());
    const targets = new Map(
      ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
    );
    const began = Date.now();
    while (!this.caughtUp(targets)) {
      const now = Date.now();
      const quietSince = Math.max(this.joinedAt, this.lastProgress, began);
      if ((this.joinedAt > 0 && now - quietSince >= idleMs) || now - began >= maxMs) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async release(): Promise<void> {
    this.users -= 1;
    if (this.users > 0) return;
    followers.delete(this.ctx);
    await this.consumer?.disconnect();
  }
}

/** The process's followed registry and a ModelRegistry over it (writes go to the topic, reads to the state). */
export async function followedRegistry(ctx: Context): Promise<{ registry: ModelRegistry; follower: RegistryFollower }> {
  const follower = await RegistryFollower.for(ctx);
  const deps = { kafka: ctx.kafka, serde: ctx.serde, topics: ctx.topics, artifactDir: ctx.config.ULASAN_ARTIFACT_DIR };
  return { registry: await ModelRegistry.open({ ...deps, follower }), follower };
}
