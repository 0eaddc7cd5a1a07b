// Producer CLI for scrapers and demos:
//   npm run produce -- --file ../shared/data/app-reviews/train.csv --app blibli [--rate 500] [--limit N]
//     [--app-version 2.114.0]
// Reads CSV/TSV/JSONL, produces Avro Reviews keyed by review_id, with a progress bar. A row's app
// version comes from its `app_version` column (CSV) or field (JSONL), else from --app-version.
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Review } from '../../schemas/types.generated.js';
import { parseConfig, processSasl } from '../../platform/config.js';
import { exitOnUsageError, parseCommandLine } from '../../platform/cli.js';
import { isUlasanError, UlasanError } from '../../platform/errors.js';
import { createKafka, type KafkaClient } from '../../platform/kafka/kafka.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { topicSpec } from '../../platform/kafka/topics.js';
import { rowProblems, rowToReview } from './handler.js';

export interface ProduceOptions {
  /** Reviews per second; 0 = as fast as possible. */
  rate?: number;
  batchSize?: number;
  onProgress?: (sent: number) => void;
}

/** Produces reviews in batches with an idempotent producer; resolves when all are acknowledged. */
export async function produceReviews(
  kafka: KafkaClient,
  serde: AvroSerde,
  topic: string,
  reviews: Review[],
  o: ProduceOptions = {},
): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  const batchSize = o.batchSize ?? 500;
  const started = Date.now();
  let sent = 0;
  try {
    for (let i = 0; i < reviews.length; i += batchSize) {
      const chunk = reviews.slice(i, i + batchSize);
      const messages = await Promise.all(
        chunk.map(async (r) => ({ key: r.review_id, value: await serde.encode(topic, r) })),
      );
      await producer.send({ topic, messages, acks: -1 });
      sent += chunk.length;
      o.onProgress?.(sent);
      if (o.rate && o.rate > 0) {
        const due = started + (sent / o.rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/** The file's rows as Reviews; any bad row fails the whole run before anything is sent. */
export function reviewsFromFile(
  file: string,
  appId: string,
  o: { limit?: string; source?: string; spacingMs: number; appVersion: string | null },
): Review[] {
  const rows = readLabelledFile(path.resolve(file));
  const limit = o.limit ? Number(o.limit) : rows.length;
  const now = Date.now();
  const source = o.source ?? path.basename(path.dirname(path.resolve(file)));
  const kept = rows.slice(0, limit).filter((r) => r.text.trim() !== '');
  const start = now - limit * o.spacingMs;
  const reviews = kept.map((r) =>
    rowToReview(r, { appId, source, startMs: start, spacingMs: o.spacingMs, now, appVersion: o.appVersion }),
  );
  const problems = rowProblems(kept, reviews, now);
  if (problems.length) {
    const more = problems.length > 10 ? `\n  ... and ${problems.length - 10} more` : '';
    throw new UlasanError(
      'DATA_INVALID',
      `${file}: ${problems.length} bad rows, nothing sent:\n  ${problems.slice(0, 10).join('\n  ')}${more}`,
    );
  }
  return reviews;
}

const USAGE =
  'usage: npm run produce -- --file <csv|tsv|jsonl> --app <id> [--source s] [--rate N] [--limit N] ' +
  '[--spacing-ms 1000] [--app-version v]';

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    {
      options: {
        file: { type: 'string' },
        app: { type: 'string' },
        source: { type: 'string' },
        rate: { type: 'string', default: '0' },
        limit: { type: 'string' },
        'spacing-ms': { type: 'string', default: '1000' },
        'app-version': { type: 'string' },
      },
    },
    USAGE,
  );
  if (!values.file || !values.app) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = parseConfig({});
  const reviews = reviewsFromFile(values.file, values.app, {
    limit: values.limit,
    source: values.source,
    spacingMs: Number(values['spacing-ms']),
    appVersion: values['app-version'] ?? null,
  });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ulasan-producer', sasl: processSasl(config) });
  const spec = topicSpec('reviews', config.ULASAN_TOPIC_PREFIX);
  await kafka.ensureTopics([spec, topicSpec('deadLetter', config.ULASAN_TOPIC_PREFIX)]);
  const serde = new AvroSerde(config.SCHEMA_REGISTRY_URL);
  await serde.register(spec.name, 'Review');
  const bar = new cliProgress.SingleBar(
    { format: 'producing |{bar}| {value}/{total} reviews  {eta_formatted} left', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(reviews.length, 0);
  const t0 = Date.now();
  const n = await produceReviews(kafka, serde, spec.name, reviews, {
    rate: Number(values.rate),
    onProgress: (s) => bar.update(s),
  });
  bar.stop();
  const secs = (Date.now() - t0) / 1000;
  console.log(`produced ${n} reviews to ${spec.name} in ${secs.toFixed(1)} s (${(n / secs).toFixed(0)}/s)`);
}

if (process.argv[1] && /producer[/\\]main\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    exitOnUsageError('produce', err);
    console.error(isUlasanError(err) ? `${err.code}: ${err.message}` : err);
    process.exit(1);
  });
}
