// Real Kafka + real Apicurio registry: Avro through the registry and back, and BACKWARD enforcement.
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../platform/kafka/kafka.js';
import { SerdeError } from '../../platform/errors.js';
import { loadSchema } from '../../platform/serde/schemas.js';
import { AvroSerde, wireSchemaId } from '../../platform/serde/serde.js';
import { allTopics, topicSpec, valueSubject } from '../../platform/kafka/topics.js';
import type { Review } from '../../schemas/types.generated.js';
import { stackAddresses, uniquePrefix } from '../helpers.js';

const { brokers, registryUrl, sasl } = stackAddresses();
const prefix = uniquePrefix();
const kafka = createKafka({ brokers, clientId: 'test-serde', sasl });

afterAll(async () => {
  await kafka.deleteTopics(allTopics(prefix).map((t) => t.name)).catch(() => undefined);
});

describe('Avro serde through the registry', () => {
  it('produces a Review and consumes it back equal', async () => {
    const spec = topicSpec('reviews', prefix);
    await kafka.ensureTopics([spec]);
    const serde = new AvroSerde(registryUrl);
    const id = await serde.register(spec.name, 'Review');
    const review: Review = {
      review_id: 'play-42',
      app_id: 'id.co.blibli',
      source: 'google_play',
      text: 'Aplikasinya mantap 👍\nPengiriman cepat',
      rating: 5,
      lang: 'id',
      author_hash: null,
      created_at: Date.UTC(2026, 9, 1, 12),
      ingested_at: Date.UTC(2026, 9, 1, 12, 5),
      app_version: '4.13.0',
    };
    const value = await serde.encode(spec.name, review);
    expect(wireSchemaId(value)).toBe(id);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: spec.name, messages: [{ key: review.review_id, value }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${prefix}serde` });
    await consumer.connect();
    await consumer.subscribe({ topic: spec.name, fromBeginning: true });
    const got = await new Promise<{ key: string; value: Review }>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const decoded = await serde.decode<Review>(message.value, spec.name);
            resolve({ key: message.key!.toString(), value: decoded.value });
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(got.key).toBe('play-42');
    expect(got.value).toEqual(review);
  });

  it('registers every catalogue topic under TopicNameStrategy with BACKWARD', async () => {
    const serde = new AvroSerde(registryUrl);
    const ids = await serde.registerAll(allTopics(prefix));
    expect(ids.size).toBe(allTopics(prefix).length);
    const subject = valueSubject(topicSpec('registry', prefix).name);
    // The effective level: the subject inherits the global BACKWARD the admin set (the registry guard
    // refuses per-subject config changes to processors), and Apicurio reports it with defaultToGlobal.
    const res = await fetch(`${registryUrl}/config/${encodeURIComponent(subject)}?defaultToGlobal=true`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('BACKWARD');
  });

  it('refuses an incompatible schema change and accepts a compatible one', async () => {
    const topic = `${prefix}compat`;
    const serde = new AvroSerde(registryUrl);
    const v1 = loadSchema('Review');
    await serde.register(topic, 'Review', v1);
    const fields = v1.fields as Record<string, unknown>[];
    // A new required field without a default cannot read old data: BACKWARD must refuse it.
    const incompatible = { ...v1, fields: [...fields, { name: 'country', type: 'string' }] };
    const err = await serde.register(topic, 'Review', incompatible).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerdeError);
    expect((err as SerdeError).code).toBe('SCHEMA_INCOMPATIBLE');
    // The same field with a default is fine.
    const compatible = { ...v1, fields: [...fields, { name: 'country', type: ['null', 'string'], default: null }] };
    await expect(serde.register(topic, 'Review', compatible)).resolves.toBeGreaterThan(0);
  });

  it('encoderFor gives the bytes encode() gives, and the same typed error on a bad value', async () => {
    const spec = topicSpec('reviews', prefix);
    await kafka.ensureTopics([spec]);
    const serde = new AvroSerde(registryUrl);
    await serde.register(spec.name, 'Review');
    const review: Review = {
      review_id: 'r-enc',
      app_id: 'a',
      source: 's',
      text: 'bagus 👍',
      rating: null,
      lang: null,
      author_hash: null,
      created_at: 1,
      ingested_at: 2,
      app_version: null,
    };
    const encode = await serde.encoderFor(spec.name);
    expect(encode(review).equals(await serde.encode(spec.name, review))).toBe(true);
    expect((await serde.decode<Review>(encode(review), spec.name)).value).toEqual(review);
    const bad = { ...review, created_at: 'yesterday' };
    expect(() => encode(bad)).toThrow(SerdeError);
    expect(() => encode(bad)).toThrow(/does not match the .* schema/);
    await expect(serde.encode(spec.name, bad)).rejects.toMatchObject({ code: 'SERDE_ENCODE_FAILED' });
  });

  it('rejects bytes that are not registry-framed Avro with a typed error', async () => {
    const serde = new AvroSerde(registryUrl);
    await expect(serde.decode(Buffer.from('{"json":true}'))).rejects.toMatchObject({ code: 'SERDE_DECODE_FAILED' });
    await expect(serde.decode(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1]))).rejects.toMatchObject({
      code: 'SCHEMA_NOT_FOUND',
    });
  });
});

describe('topic catalogue on the broker', () => {
  it('creates topics with partitions and cleanup policy from the catalogue', async () => {
    const specs = allTopics(prefix);
    await kafka.ensureTopics(specs);
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
    for (const s of specs) expect(meta.topics.find((t) => t.name === s.name)!.partitions).toHaveLength(s.partitions);
    const registry = topicSpec('registry', prefix).name;
    const cfg = await admin.describeConfigs({
      resources: [{ type: 2, name: registry, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    });
    await admin.disconnect();
    expect(cfg.resources[0]!.configEntries[0]!.configValue).toBe('compact');
  });
});
