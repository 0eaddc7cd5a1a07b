// npm run retrain -- [--reason text] [--data <manifest>] [--model ulasan-compact] [--by name]
//                    [--teacher <model>@<version|production|staging> [--unlabeled-rows N]]
// Puts one manual RetrainRequest on the retrain topic (as the process's Kafka identity); the training
// launcher runs it like a trigger's request. Prints the request id.
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { parseConfig, processSasl } from '../platform/config.js';
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { isUlasanError, UlasanError } from '../platform/errors.js';
import { createKafka } from '../platform/kafka/kafka.js';
import { manualRetrainRequest } from '../processors/kit/retrain.js';
import { AvroSerde } from '../platform/serde/serde.js';
import { topicSpec } from '../platform/kafka/topics.js';

/** The OS user, for requested_by; some containers have no passwd entry for theirs. */
function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

const USAGE =
  'usage: npm run retrain -- [--reason text] [--data <manifest>] [--model ulasan-compact] [--by name] ' +
  '[--teacher <model>@<version|production|staging> [--unlabeled-rows N]]';

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    {
      options: {
        reason: { type: 'string' },
        data: { type: 'string' },
        model: { type: 'string', default: 'ulasan-compact' },
        by: { type: 'string', default: `cli:${userName()}` },
        teacher: { type: 'string' },
        'unlabeled-rows': { type: 'string' },
      },
    },
    USAGE,
  );
  const manifest = values.data ? path.resolve(values.data) : undefined;
  if (manifest && !existsSync(manifest)) throw new UlasanError('MANIFEST_NOT_FOUND', `no manifest at ${manifest}`);
  const config = parseConfig({});
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ulasan-retrain', sasl: processSasl(config) });
  const spec = topicSpec('retrain', config.ULASAN_TOPIC_PREFIX);
  await kafka.ensureTopics([spec]);
  const serde = new AvroSerde(config.SCHEMA_REGISTRY_URL);
  await serde.register(spec.name, spec.schema!);
  const req = manualRetrainRequest({
    modelName: values.model,
    requestedBy: values.by,
    reason: values.reason,
    manifest,
    teacher: values.teacher,
    unlabeledRows: values['unlabeled-rows'] === undefined ? undefined : Number(values['unlabeled-rows']),
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic: spec.name,
      messages: [{ key: req.request_id, value: await serde.encode(spec.name, req) }],
      acks: -1,
    });
  } finally {
    await producer.disconnect();
  }
  const job = req.details!.teacher ? `, distilling ${req.details!.teacher}` : '';
  console.log(`retrain requested: ${req.request_id} (${req.details!.reason}${job}) on ${spec.name}`);
}

main().catch((err: unknown) => {
  exitOnUsageError('retrain', err);
  console.error(isUlasanError(err) ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
