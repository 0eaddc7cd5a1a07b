// The soak's end-state checks, once the processors have stopped: ClickHouse (FINAL) and Kafka
// offsets against what the traffic sent.
import { openStore } from '../../platform/clickhouse/open.js';
import type { KafkaClient } from '../../platform/kafka/kafka.js';
import type { AvroSerde } from '../../platform/serde/serde.js';
import type { TopicNames } from '../../platform/kafka/topics.js';
import type { ScoredReview } from '../../schemas/types.generated.js';

export interface StoreCounts {
  predictionsFinal: number;
  predictionsDistinct: number;
  predictionsRaw: number;
  reviewsFinal: number;
  feedbackFinal: number;
  deadLettersByProcessor: Record<string, number>;
  missing: number;
}

export async function storeCounts(
  chdbPath: string,
  runId: string,
  sent: number,
  reviewsTopic: string,
): Promise<StoreCounts> {
  const store = await openStore({ database: 'ulasan', chdbPath });
  const one = async (sql: string): Promise<number> => Number((await store.query<{ n: string }>(sql))[0]!.n);
  const mine = `review_id LIKE '${runId}-r-%'`;
  try {
    const dl = await store.query<{ p: string; n: string }>(
      `SELECT processor AS p, count() AS n FROM ulasan.dead_letters FINAL
       WHERE origin_topic = '${reviewsTopic}' GROUP BY p`,
    );
    return {
      predictionsFinal: await one(`SELECT count() AS n FROM ulasan.predictions FINAL WHERE ${mine}`),
      predictionsDistinct: await one(`SELECT uniqExact(review_id) AS n FROM ulasan.predictions WHERE ${mine}`),
      predictionsRaw: await one(`SELECT count() AS n FROM ulasan.predictions WHERE ${mine}`),
      reviewsFinal: await one(`SELECT count() AS n FROM ulasan.reviews FINAL WHERE ${mine}`),
      feedbackFinal: await one(`SELECT count() AS n FROM ulasan.feedback FINAL WHERE ${mine}`),
      deadLettersByProcessor: Object.fromEntries(dl.map((r) => [r.p, Number(r.n)])),
      missing: await one(
        `SELECT count() AS n FROM (SELECT arrayJoin(range(${sent})) AS i)
         WHERE concat('${runId}-r-', toString(i)) NOT IN (SELECT review_id FROM ulasan.predictions)`,
      ),
    };
  } finally {
    await store.close();
  }
}

/** Records on a topic (end minus start offsets, every partition). */
export async function topicRecords(kafka: KafkaClient, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Every scored record of this run (read_committed): how many, and how many distinct review ids. */
export async function scoredOnTopic(
  kafka: KafkaClient,
  serde: AvroSerde,
  topics: TopicNames,
  runId: string,
  expected: number,
): Promise<{ records: number; distinct: number }> {
  const seen = new Set<string>();
  let records = 0;
  // A group of its own per read: fromBeginning only holds for a group without committed offsets.
  const reader = kafka.consumer({ groupId: `ulasan-admin.soak-reader.${runId}.${Date.now()}` });
  await reader.connect();
  await reader.subscribe({ topic: topics.scored, fromBeginning: true });
  let last = Date.now();
  await reader.run({
    eachMessage: async ({ message }) => {
      last = Date.now();
      const v = (await serde.decode<ScoredReview>(message.value)).value;
      if (!v.review_id.startsWith(`${runId}-r-`)) return;
      records += 1;
      seen.add(v.review_id);
    },
  });
  // Read until everything expected arrived and 5 s passed without a record (a duplicate would
  // follow), or 20 s without any record when some never come (a stuck scorer: the verdict says so).
  const deadline = Date.now() + 300_000;
  const quiet = (): number => Date.now() - last;
  while (Date.now() < deadline && !(seen.size >= expected ? quiet() > 5000 : quiet() > 20_000))
    await new Promise((r) => setTimeout(r, 500));
  await reader.disconnect();
  return { records, distinct: seen.size };
}
