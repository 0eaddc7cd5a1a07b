// The soak's steady load: reviews at a fixed rate (one idempotent producer, as the producer CLI
// uses), every 20th with a feedback event (as the gateway sends it), each review id sequential so
// the verdict can count what was sent without keeping the ids. An outage is a wait: a failed send is
// retried with the same records until it goes through.
import type { KafkaClient, Message, Producer } from '../../platform/kafka/kafka.js';
import type { AvroSerde } from '../../platform/serde/serde.js';
import type { Feedback, Review } from '../../schemas/types.generated.js';

export interface TrafficOptions {
  reviews: KafkaClient; // as ulasan-producer
  feedback: KafkaClient; // as ulasan-gateway
  serde: AvroSerde;
  topics: { reviews: string; feedback: string };
  rate: number;
  runId: string;
  texts: string[];
  log: (msg: string) => void;
}

const FEEDBACK_EVERY = 20;
const LABELS = ['negative', 'neutral', 'positive'] as const;

export class Traffic {
  sent = 0;
  feedbackSent = 0;
  sendFailures = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;
  /** Encodes reviews with this topic's schema id (a new version during the registry fault). */
  encodeTopic: string;

  constructor(private readonly o: TrafficOptions) {
    this.encodeTopic = o.topics.reviews;
  }

  reviewId(i: number): string {
    return `${this.o.runId}-r-${i}`;
  }

  private review(i: number, now: number): Review {
    return {
      review_id: this.reviewId(i),
      app_id: `id.soak.app${i % 5}`,
      source: 'google_play',
      text: this.o.texts[i % this.o.texts.length]!,
      rating: (i % 5) + 1,
      lang: 'id',
      author_hash: null,
      created_at: now - 1000,
      ingested_at: now,
    };
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const reviews = this.o.reviews.producer();
    const feedback = this.o.feedback.producer();
    await reviews.connect();
    await feedback.connect();
    const t0 = Date.now();
    try {
      while (!this.stopped) {
        const due = Math.floor(((Date.now() - t0) / 1000) * this.o.rate);
        if (due > this.sent) await this.sendUpTo(Math.min(due, this.sent + this.o.rate), reviews, feedback);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await reviews.disconnect().catch(() => undefined);
      await feedback.disconnect().catch(() => undefined);
    }
  }

  private async sendUpTo(target: number, reviews: Producer, feedback: Producer): Promise<void> {
    const now = Date.now();
    const batch = Array.from({ length: target - this.sent }, (_, k) => this.review(this.sent + k, now));
    const encode = await this.o.serde.encoderFor(this.encodeTopic);
    const messages: Message[] = batch.map((r) => ({ key: r.review_id, value: encode(r) }));
    await this.retrying('reviews', () => reviews.send({ topic: this.o.topics.reviews, messages, acks: -1 }));
    const fb: Message[] = [];
    for (let i = this.sent; i < target; i += 1) {
      if (i % FEEDBACK_EVERY !== 0) continue;
      const f: Feedback = { review_id: this.reviewId(i), true_label: LABELS[i % 3]!, source: 'user', given_at: now };
      fb.push({ key: f.review_id, value: await this.o.serde.encode(this.o.topics.feedback, f) });
    }
    this.sent = target;
    if (fb.length === 0) return;
    await this.retrying('feedback', () => feedback.send({ topic: this.o.topics.feedback, messages: fb, acks: -1 }));
    this.feedbackSent += fb.length;
  }

  private async retrying(what: string, send: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await send();
        return;
      } catch (err) {
        this.sendFailures += 1;
        if (attempt % 10 === 0) this.o.log(`traffic: ${what} send failed, retrying: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}
