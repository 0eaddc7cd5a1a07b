// One soak run's moving parts: the stack, the processors child, the traffic, the samplers and the
// fault actions. scripts/soak.ts sequences them and writes the report.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createKafka, type KafkaClient } from '../../platform/kafka/kafka.js';
import { loadSchema } from '../../platform/serde/schemas.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { topicNames, type TopicNames } from '../../platform/kafka/topics.js';
import { kafkaCredentials, SERVICES, type StackLayout } from '../../stack/services.js';
import { downService, upService } from '../../stack/stack.js';
import { exited, garbageMessages, hostileReviewMessages } from './faults.js';
import { groupOf, startProcessors, waitHealthy, type ProcessorsOptions } from './processes.js';
import type { Traffic } from './traffic.js';

export interface SoakRun {
  layout: StackLayout;
  runId: string;
  topics: TopicNames;
  admin: KafkaClient;
  serde: AvroSerde;
  processors: ProcessorsOptions;
  child: ChildProcess | null;
  traffic: Traffic | null;
  hostileSent: number;
  log: (msg: string) => void;
}

export function kafkaAs(
  layout: StackLayout,
  identity: 'ulasan-admin' | 'ulasan-producer' | 'ulasan-gateway',
): KafkaClient {
  return createKafka({
    brokers: [SERVICES.kafka.url(layout)],
    clientId: `soak-${identity}`,
    sasl: layout.kafkaAuth === 'scram' ? kafkaCredentials(layout).users[identity] : undefined,
  });
}

export function processorsOptions(
  layout: StackLayout,
  runId: string,
  modelDir: string,
  port: number,
): ProcessorsOptions {
  const workDir = path.join(layout.dir, 'soak', runId);
  mkdirSync(workDir, { recursive: true });
  return {
    runId,
    prefix: `${runId}.`,
    brokers: SERVICES.kafka.url(layout),
    registryUrl: SERVICES['registry-guard'].url(layout),
    credentialsFile: path.join(layout.dir, 'kafka', 'credentials.json'),
    chdbPath: path.join(workDir, 'chdb'),
    workDir,
    modelDir,
    metricsPort: port,
    slowFlag: path.join(workDir, 'slow-clickhouse'),
    logFile: path.join(workDir, 'processors.log'),
  };
}

export async function startAndWait(run: SoakRun): Promise<void> {
  run.child = startProcessors(run.processors);
  const ms = await waitHealthy(run.processors.metricsPort, run.child);
  run.log(`processors healthy after ${(ms / 1000).toFixed(1)} s (pid ${run.child.pid})`);
}

/** The fault actions; each resolves when the fault is over (the moment lag recovery is timed from). */
export const FAULTS = {
  async kill(run: SoakRun): Promise<string> {
    run.child!.kill('SIGKILL');
    await exited(run.child!);
    await startAndWait(run);
    return 'processors SIGKILLed and restarted';
  },
  async broker(run: SoakRun): Promise<string> {
    await downService(run.layout, 'kafka');
    const r = await upService(run.layout, 'kafka');
    return `broker restarted (${r.seconds.toFixed(0)} s to ready)`;
  },
  async registry(run: SoakRun): Promise<string> {
    // A new compatible Review version first, so the processors must reach the registry while it is down.
    const v2 = loadSchema('Review');
    (v2.fields as unknown[]).push({ name: 'soak_note', type: ['null', 'string'], default: null });
    const id = await run.serde.register(run.topics.reviews, 'Review', v2);
    await run.serde.encoderFor(run.topics.reviews);
    await downService(run.layout, 'registry');
    await new Promise((r) => setTimeout(r, 60_000));
    // Apicurio's start can time out on its H2 pool when the two cores are busy: tried three times.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await upService(run.layout, 'registry');
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
        run.log(`registry start ${attempt} failed, again: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    return `Apicurio stopped 60 s while reviews switched to schema id ${id}`;
  },
  async 'slow-clickhouse'(run: SoakRun): Promise<string> {
    writeFileSync(run.processors.slowFlag, '2000');
    await new Promise((r) => setTimeout(r, 120_000));
    rmSync(run.processors.slowFlag, { force: true });
    return 'every ClickHouse call delayed 2 s for 120 s';
  },
  async hostile(run: SoakRun): Promise<string> {
    const encode = (r: Parameters<typeof run.serde.encode>[1]): Promise<Buffer> =>
      run.serde.encode(run.topics.reviews, r);
    const good = {
      review_id: `${run.runId}-hostile`,
      app_id: 'id.soak.hostile',
      source: 'google_play',
      text: 'bagus',
      created_at: Date.now(),
      ingested_at: Date.now(),
    };
    const hostile = await hostileReviewMessages(encode, run.serde.schemaId(run.topics.reviews), good);
    const messages = [...hostile.map((h) => h.message), ...garbageMessages(2000, Date.now() % 1000, `${run.runId}-g`)];
    const producer = kafkaAs(run.layout, 'ulasan-producer').producer();
    await producer.connect();
    for (let i = 0; i < messages.length; i += 500)
      await producer.send({ topic: run.topics.reviews, messages: messages.slice(i, i + 500), acks: -1 });
    await producer.disconnect();
    run.hostileSent += messages.length;
    return `${messages.length} hostile records (${hostile.length} crafted, the rest random bytes)`;
  },
} satisfies Record<string, (run: SoakRun) => Promise<string>>;

export type FaultKind = keyof typeof FAULTS;

/** The groups whose lag must return to zero, with their input topics. */
export function lagGroups(run: SoakRun): Record<string, string[]> {
  const t = topicNames(`${run.runId}.`);
  return {
    [groupOf('review-store', run.runId)]: [t.reviews],
    [groupOf('scoring', run.runId)]: [t.reviews],
    [groupOf('feedback-store', run.runId)]: [t.feedback],
    [groupOf('dead-letter-store', run.runId)]: [t.deadLetter],
  };
}
