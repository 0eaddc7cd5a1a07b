// A transactional producer that survives a failed abort. When a broker restarts in the middle of a
// transaction, kafkajs's abort can fail (its EndTxn request meets a closed connection) and leave the
// producer's state machine in ABORTING for good: every later transaction() then throws "Cannot call
// beginTransaction in state ABORTING", and a consumer rebuilt around it crashes on every batch (the
// soak of 2026-12-03 13:13 measured this). The cure is a fresh producer with the same transactional
// id: its InitProducerId bumps the epoch, which fences the old one and makes the broker abort the
// dangling transaction, so nothing it sent becomes visible to read_committed consumers.
import type { Producer, Transaction } from 'kafkajs';

export class RenewableTransactionalProducer {
  private producer: Producer;
  private broken = false;

  /** `create` makes a producer with the transactional id (the same id every time). */
  constructor(
    private readonly create: () => Producer,
    private readonly onRenew: (err: unknown) => void = () => undefined,
  ) {
    this.producer = create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** A new transaction, on a fresh producer when the last abort failed. */
  async transaction(): Promise<Transaction> {
    if (this.broken) await this.renew();
    return this.producer.transaction();
  }

  /** Aborts `tx`; when the abort itself fails, the producer is replaced before the next transaction. */
  async abort(tx: Transaction, cause: unknown): Promise<void> {
    try {
      await tx.abort();
    } catch (err) {
      this.broken = true;
      this.onRenew(err ?? cause);
    }
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  private async renew(): Promise<void> {
    const old = this.producer;
    await old.disconnect().catch(() => undefined);
    const fresh = this.create();
    await fresh.connect();
    this.producer = fresh;
    this.broken = false;
  }
}
