// A producer whose abort failed (kafkajs then stays in ABORTING) is replaced before the next
// transaction; one whose abort worked is kept. Fake producers: this is the wrapper's logic only
// (the real broker case is the soak's broker fault).
import type { Producer, Transaction } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { RenewableTransactionalProducer } from '../../platform/kafka/transactional.js';

interface Fake {
  id: number;
  connected: boolean;
  aborting: boolean;
}

function factory(abortFails: () => boolean) {
  const made: Fake[] = [];
  const create = (): Producer => {
    const f: Fake = { id: made.length + 1, connected: false, aborting: false };
    made.push(f);
    const tx = {
      abort: async () => {
        if (abortFails()) {
          f.aborting = true;
          throw new Error('Closed connection');
        }
      },
    } as unknown as Transaction;
    return {
      connect: async () => void (f.connected = true),
      disconnect: async () => void (f.connected = false),
      transaction: async () => {
        if (f.aborting) throw new Error('Cannot call "beginTransaction" in state "ABORTING"');
        return tx;
      },
    } as unknown as Producer;
  };
  return { made, create };
}

describe('RenewableTransactionalProducer', () => {
  it('replaces a producer whose abort failed, before the next transaction', async () => {
    let fail = true;
    const { made, create } = factory(() => fail);
    const renewals: unknown[] = [];
    const p = new RenewableTransactionalProducer(create, (err) => renewals.push(err));
    await p.connect();
    const tx = await p.transaction();
    await p.abort(tx, new Error('send failed'));
    expect(renewals).toHaveLength(1);
    fail = false;
    await expect(p.transaction()).resolves.toBeDefined();
    expect(made.map((f) => [f.id, f.connected])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('keeps the producer when the abort worked', async () => {
    const { made, create } = factory(() => false);
    const p = new RenewableTransactionalProducer(create);
    await p.connect();
    await p.abort(await p.transaction(), new Error('send failed'));
    await p.transaction();
    expect(made).toHaveLength(1);
    expect(made[0]!.connected).toBe(true);
  });

  it('without the wrapper the stuck state is what kafkajs gives (the fake is faithful)', async () => {
    const { create } = factory(() => true);
    const raw = create();
    const tx = await raw.transaction();
    await tx.abort().catch(() => undefined);
    await expect(raw.transaction()).rejects.toThrow(/ABORTING/);
  });
});
