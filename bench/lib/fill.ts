// The processor benchmark's input, written from a child process so that its CPU is not the
// processor's: N reviews, or N ScoredReviews encoded as the scorer writes them, to the topics of
// ULASAN_TOPIC_PREFIX (env from the parent). Args: reviews|scored N idPrefix.
import { computeFeatures } from '../../models/features/features.js';
import { defaultTagger } from '../../models/topics/tagger.js';
import { produceReviews } from '../../processors/producer/main.js';
import { scoredMessageOf } from '../../processors/scoring/handler.js';
import { chunkBySize, type Message } from '../../platform/kafka/kafka.js';
import { runProcessors } from '../../app/runner.js';
import { boundAppVersion } from '../../processors/kit/app-version.js';
import type { Review, Sentiment } from '../../schemas/types.generated.js';
import { benchReviews } from './reviews.js';

const LABELS: Sentiment[] = ['negative', 'neutral', 'positive'];

/** ScoredReviews as the scorer writes them (features, topics), with labels spread over the three. */
function scoredRecords(reviews: Review[], encode: (v: unknown) => Buffer): Message[] {
  const tagger = defaultTagger();
  const now = Date.now();
  return reviews.map((r, i) => {
    const f = computeFeatures(r.text);
    const label = LABELS[i % 3]!;
    const probs = { negative: 0.1, neutral: 0.1, positive: 0.1, [label]: 0.8 };
    const pred = {
      label,
      sentiment: label,
      confidence: 0.8,
      probabilities: probs,
      modelName: 'bench',
      modelVersion: '1',
    };
    const topics = tagger.tagClean(f.clean_text);
    const input = { review: r, prediction: pred, probs, features: f, partition: 0, offset: String(i), topics };
    const msg = scoredMessageOf({ ...input, textHash: '', appVersion: boundAppVersion(r.app_version) }, now, false);
    return { key: r.review_id, value: encode(msg) };
  });
}

const [input, n, idPrefix] = process.argv.slice(2);
const running = await runProcessors([], process.env, { opsServer: false });
const { ctx } = running;
const reviews = benchReviews(Number(n), idPrefix!);
if (input === 'reviews') {
  await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, reviews, { batchSize: 2000 });
} else {
  const messages = scoredRecords(reviews, await ctx.serde.encoderFor(ctx.topics.scored));
  const producer = ctx.kafka.producer({ idempotent: true });
  await producer.connect();
  for (const chunk of chunkBySize(messages, 512 * 1024))
    await producer.send({ topic: ctx.topics.scored, messages: chunk });
  await producer.disconnect();
}
await running.stop();
process.exit(0);
