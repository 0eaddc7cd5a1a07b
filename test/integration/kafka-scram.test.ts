// Kafka with SASL/SCRAM-SHA-512 and ACLs (ULASAN_STACK_KAFKA_AUTH=scram), on a private broker: a
// client without credentials, or with a wrong password, is refused; a processor's identity may
// write its own outputs and read its inputs, and nothing else (ACLs from its declared topology).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoring } from '../../processors/scoring/main.js';
import { applyAcls } from '../../platform/kafka/acls.js';
import { createKafka, type KafkaClient } from '../../platform/kafka/kafka.js';
import { allTopics, topicNames } from '../../platform/kafka/topics.js';
import { kafkaCredentials } from '../../stack/services.js';
import { downService, upService } from '../../stack/stack.js';
import { privateKafkaLayout, sendOne, uniquePrefix } from '../helpers.js';

const layout = privateKafkaLayout('scram-stack', 29292, 'scram');
const brokers = [`127.0.0.1:${layout.ports.kafka}`];
const prefix = uniquePrefix();
const names = topicNames(prefix);
let admin: KafkaClient;

const client = (sasl?: { username: string; password: string }) =>
  createKafka({ brokers, clientId: 'scram-test', sasl, connectionTimeout: 2000, retries: 1 });

beforeAll(async () => {
  await upService(layout, 'kafka');
  admin = client(kafkaCredentials(layout).users['ulasan-admin']);
  await admin.ensureTopics(allTopics(prefix));
  const a = admin.admin();
  await a.connect();
  try {
    const grants = [{ principal: 'ulasan-scoring', topology: scoring.topology, groupPrefix: `${prefix}scoring` }];
    expect(await applyAcls(a, grants, names)).toBeGreaterThan(0);
  } finally {
    await a.disconnect();
  }
}, 180_000);

afterAll(async () => {
  await downService(layout, 'kafka');
});

describe('Kafka with SCRAM and ACLs', () => {
  it('refuses a client without credentials and one with a wrong password', async () => {
    await expect(sendOne(client(), names.reviews)).rejects.toThrow();
    const wrong = client({ username: 'ulasan-scoring', password: 'not-the-password' });
    await expect(sendOne(wrong, names.reviews)).rejects.toThrow(/SASL|authentication/i);
  });

  it("lets the scoring identity write its outputs and read its inputs, and refuses another's topic", async () => {
    const scorer = client(kafkaCredentials(layout).users['ulasan-scoring']);
    // applyAcls returned only once the broker showed every entry: no wait here.
    await sendOne(scorer, names.scored);
    await sendOne(scorer, names.deadLetter);
    await expect(sendOne(scorer, names.feedback)).rejects.toThrow(/authoriz/i);
    await expect(sendOne(scorer, names.registry)).rejects.toThrow(/authoriz/i);

    await sendOne(admin, names.reviews);
    const consumer = scorer.kafka.consumer({ groupId: `${prefix}scoring-acl` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: names.reviews, fromBeginning: true });
      const got = new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
      });
      expect(await got).toBe('v');
    } finally {
      await consumer.disconnect();
    }
    const stranger = scorer.kafka.consumer({ groupId: `${prefix}someone-else` });
    await stranger.connect();
    try {
      await expect(stranger.subscribe({ topic: names.feedback, fromBeginning: true })).rejects.toThrow(/authoriz/i);
    } finally {
      await stranger.disconnect();
    }
  });
});
