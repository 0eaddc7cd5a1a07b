// Where a distillation's unlabeled review text comes from (`npm run train -- --unlabeled <spec>`):
//   a file   .txt (one review per line) or the training formats (TSV/CSV/JSONL; labels ignored)
//   a topic  topic:[<name>][@<from>..<to>]: a range of a reviews topic (default: this prefix's
//            reviews topic, all of it); bounds are offsets (every partition) or ISO times.
// Topic records are Avro Reviews read through the schema registry; records that do not decode are
// counted and left out (they are dead letters to the scorers too).
import { createKafka } from '../../platform/kafka/kafka.js';
import { processSasl, type BaseConfig } from '../../platform/config.js';
import { UlasanError } from '../../platform/errors.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { isRetriable } from '../../platform/outage.js';
import { parseBound, readRange, type Bound } from '../../platform/kafka/topic-range.js';
import { topicNames } from '../../platform/kafka/topics.js';
import type { Review } from '../../schemas/types.generated.js';
import { readUnlabeledFile } from './distill.js';

export type UnlabeledSpec =
  { kind: 'file'; path: string } | { kind: 'topic'; topic: string | null; from: Bound; to: Bound; text: string };

export function parseUnlabeledSpec(spec: string): UnlabeledSpec {
  if (!spec.startsWith('topic:')) return { kind: 'file', path: spec };
  const m = /^topic:([^@]*)(?:@([^.]*)\.\.(.*))?$/.exec(spec);
  if (!m) throw new UlasanError('USAGE', `--unlabeled ${spec}: expected topic:[<name>][@<from>..<to>]`);
  try {
    const from = parseBound(m[2] || '0');
    const to = parseBound(m[3] || String(Number.MAX_SAFE_INTEGER));
    return { kind: 'topic', topic: m[1] || null, from, to, text: spec };
  } catch (err) {
    throw new UlasanError('USAGE', `--unlabeled ${spec}: ${(err as Error).message}`);
  }
}

async function readTopicTexts(
  spec: Extract<UnlabeledSpec, { kind: 'topic' }>,
  config: BaseConfig,
): Promise<{ texts: string[]; undecodable: number }> {
  const topic = spec.topic ?? topicNames(config.ULASAN_TOPIC_PREFIX).reviews;
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ulasan-train', sasl: processSasl(config) });
  const serde = new AvroSerde(config.SCHEMA_REGISTRY_URL);
  const texts: string[] = [];
  let undecodable = 0;
  await readRange(kafka, topic, spec, async (messages) => {
    for (const m of messages) {
      try {
        const text = (await serde.decode<Review>(m.value, topic)).value.text;
        if (typeof text === 'string' && text.trim()) texts.push(text);
      } catch (err) {
        if (isRetriable(err)) throw err;
        undecodable += 1;
      }
    }
  });
  return { texts, undecodable };
}

/** Every source's texts in order, and a description of where they came from (for the model card). */
export async function readUnlabeled(
  specs: string[],
  config: BaseConfig,
  log: (msg: string) => void = () => undefined,
): Promise<{ texts: string[]; source: string }> {
  const texts: string[] = [];
  const parts: string[] = [];
  for (const raw of specs) {
    const spec = parseUnlabeledSpec(raw);
    if (spec.kind === 'file') {
      const got = readUnlabeledFile(spec.path);
      texts.push(...got);
      parts.push(`${spec.path} (${got.length})`);
      continue;
    }
    const got = await readTopicTexts(spec, config);
    if (got.undecodable) log(`unlabeled ${spec.text}: ${got.undecodable} records did not decode and were left out`);
    texts.push(...got.texts);
    parts.push(`${spec.text} (${got.texts.length})`);
  }
  return { texts, source: parts.join(', ') };
}
