// Kafka authentication settings shared by the local stack (stack/services.ts) and the compose
// deployment's init step (deploy/kafka/configure.ts): the identities, their credentials file, the
// broker's SASL/SCRAM settings and the storage-format arguments that create the SCRAM users. Pure
// apart from the credentials file.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The SCRAM identities: the admin (a super user), one per processor, and the producer. */
export const KAFKA_IDENTITIES = [
  'ulasan-admin',
  'ulasan-review-store',
  'ulasan-scoring',
  'ulasan-drift',
  'ulasan-feedback-store',
  'ulasan-dead-letter-store',
  'ulasan-registry-mirror',
  'ulasan-retrain-trigger',
  'ulasan-training-launcher',
  'ulasan-gateway',
  'ulasan-scraper',
  'ulasan-alerts',
  'ulasan-producer',
] as const;
export type KafkaIdentity = (typeof KAFKA_IDENTITIES)[number];

export interface KafkaCredentials {
  /** The controller listener's SASL/PLAIN principal (a super user; never used by clients). */
  controller: { username: string; password: string };
  users: Record<KafkaIdentity, { username: string; password: string }>;
}

/** A credentials file made once with random passwords (mode 600), then read back on every call. */
export function credentialsFile<T>(file: string, make: (password: () => string) => T): T {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(make(() => randomBytes(18).toString('base64url'))), { mode: 0o600 });
  }
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * Every identity's credentials in `file`, made with random passwords the first time. An identity
 * added to Ulasan after the file was made (a new processor) is added to it with its own password.
 */
export function kafkaCredentialsFile(file: string): KafkaCredentials {
  const pw = (): string => randomBytes(18).toString('base64url');
  const creds = credentialsFile<KafkaCredentials>(file, () => ({
    controller: { username: 'ulasan-controller', password: pw() },
    users: Object.fromEntries(
      KAFKA_IDENTITIES.map((u) => [u, { username: u, password: pw() }]),
    ) as KafkaCredentials['users'],
  }));
  const missing = KAFKA_IDENTITIES.filter((u) => !creds.users[u]);
  if (missing.length === 0) return creds;
  for (const u of missing) creds.users[u] = { username: u, password: pw() };
  writeFileSync(file, JSON.stringify(creds), { mode: 0o600 });
  return creds;
}

/**
 * A single-node KRaft broker and controller: every internal topic lives with one replica, no topic
 * is created by a client, and groups start without the 3 s join delay (tests create them
 * constantly). The listeners come from the auth settings.
 */
export function singleNodeProperties(o: { controllerVoter: string; logDir: string; auth: string[] }): string[] {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${o.controllerVoter}`,
    'controller.listener.names=CONTROLLER',
    ...o.auth,
    `log.dirs=${o.logDir}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'min.insync.replicas=1',
    'default.replication.factor=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.check.interval.ms=60000',
  ];
}

const PLAIN_LOGIN = 'org.apache.kafka.common.security.plain.PlainLoginModule required';
const SCRAM_LOGIN = 'org.apache.kafka.common.security.scram.ScramLoginModule required';

/**
 * Broker settings for SASL: SCRAM-SHA-512 for clients and between brokers, SASL/PLAIN on the
 * controller listener (KRaft controllers cannot use SCRAM: its credentials live in the metadata the
 * controller serves), StandardAuthorizer with nothing allowed unless an ACL says so.
 */
export function scramBrokerProperties(o: {
  listen: string;
  advertised: string;
  controllerListen: string;
  credentials: KafkaCredentials;
}): string[] {
  const admin = o.credentials.users['ulasan-admin'];
  const ctl = o.credentials.controller;
  return [
    `listeners=SASL_PLAINTEXT://${o.listen},CONTROLLER://${o.controllerListen}`,
    `advertised.listeners=SASL_PLAINTEXT://${o.advertised}`,
    'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
    'inter.broker.listener.name=SASL_PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    'listener.name.controller.plain.sasl.jaas.config=' +
      `${PLAIN_LOGIN} username="${ctl.username}" password="${ctl.password}" user_${ctl.username}="${ctl.password}";`,
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=' +
      `${SCRAM_LOGIN} username="${admin.username}" password="${admin.password}";`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${admin.username};User:${ctl.username}`,
    'allow.everyone.if.no.acl.found=false',
  ];
}

/**
 * A Kafka cluster id: 16 random bytes in URL-safe base64 without padding (22 chars), never starting
 * with '-' (the storage tool's argument parser would take it for an option: 1 format in 64 failed).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** `kafka-storage format` arguments that create every identity's SCRAM-SHA-512 user. */
export function scramFormatArgs(c: KafkaCredentials): string[] {
  return Object.values(c.users).flatMap((u) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`,
  ]);
}

/** A Kafka command-line tool's client settings for one identity (healthchecks, kafka-configs). */
export function clientProperties(user: { username: string; password: string }): string[] {
  return [
    'security.protocol=SASL_PLAINTEXT',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=${SCRAM_LOGIN} username="${user.username}" password="${user.password}";`,
  ];
}
