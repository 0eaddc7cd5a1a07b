// Kafka down while the gateway takes feedback (a private broker, stopped): /feedback answers 503
// within its bounded wait (GATEWAY_KAFKA_TIMEOUT_MS), and every feedback it acknowledged is on the
// topic once the broker is back. Nothing is acknowledged and then lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../platform/kafka/kafka.js';
import { newToken } from '../../gateway/auth.js';
import { runProcessors, type Running } from '../../app/runner.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { downService, upService } from '../../stack/stack.js';
import {
  freshDir,
  privateKafkaLayout,
  stackAddresses,
  uniquePrefix,
  waitFor,
  withoutStackIdentity,
} from '../helpers.js';

const { registryUrl } = stackAddresses();

describe('Kafka down during gateway /feedback', () => {
  // A private broker, so stopping it touches no other test.
  const layout = privateKafkaLayout('feedback-stack', 29192);
  const privateBrokers = [`127.0.0.1:${layout.ports.kafka}`];
  const fbPrefix = uniquePrefix();
  const giver = newToken('feedback-giver', 'feedback');
  let gw: Running;

  beforeAll(async () => {
    await upService(layout, 'kafka');
    gw = await runProcessors(
      ['gateway'],
      {
        ...withoutStackIdentity(),
        KAFKA_BROKERS: privateBrokers.join(','),
        SCHEMA_REGISTRY_URL: registryUrl,
        CHDB_PATH: freshDir('feedback-chdb'),
        ULASAN_TOPIC_PREFIX: fbPrefix,
        SCORING_MODEL_DIR: await ensureDefaultModel(),
        GATEWAY_PORT: '0',
        GATEWAY_KAFKA_TIMEOUT_MS: '3000',
        GATEWAY_TOKENS: giver.entry,
        LOG_LEVEL: 'fatal',
      },
      { opsServer: false },
    );
  }, 240_000);

  afterAll(async () => {
    await upService(layout, 'kafka').catch(() => undefined);
    await gw?.stop();
    await downService(layout, 'kafka');
  });

  it(
    'answers 503 within its bounded wait, and everything it acknowledged is on the topic',
    { timeout: 300_000 },
    async () => {
      const url = `http://127.0.0.1:${gw.handles.gateway!.port as number}/feedback`;
      const post = async (id: string): Promise<{ status: number; ms: number }> => {
        const t0 = Date.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${giver.token}` },
          body: JSON.stringify({ review_id: id, true_label: 'positive' }),
        });
        return { status: res.status, ms: Date.now() - t0 };
      };
      const acknowledged: string[] = [];
      const record = async (id: string): Promise<number> => {
        const r = await post(id);
        if (r.status === 202) acknowledged.push(id);
        return r.status;
      };
      expect(await record('fb-before')).toBe(202);

      await downService(layout, 'kafka');
      const down = await post('fb-during');
      expect(down.status).toBe(503);
      expect(down.ms).toBeLessThan(15_000);

      await upService(layout, 'kafka');
      await waitFor(async () => (await record(`fb-after-${Date.now()}`)) === 202, 120_000, 'feedback accepted again');

      const kafka = createKafka({ brokers: privateBrokers, clientId: 'feedback-check' });
      const seen = new Set<string>();
      const consumer = kafka.consumer({ groupId: `${fbPrefix}check` });
      await consumer.connect();
      await consumer.subscribe({ topic: gw.ctx.topics.feedback, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.key!.toString()) });
      await waitFor(
        async () => acknowledged.every((id) => seen.has(id)),
        60_000,
        `${acknowledged.length} acknowledged feedback on the topic`,
      );
      await consumer.disconnect();
    },
  );
});
