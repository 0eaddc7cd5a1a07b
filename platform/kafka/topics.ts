// The topic catalogue: every topic Ulasan uses, its partitions, cleanup policy, retention, and the
// Avro schema its values carry. A prefix (ULASAN_TOPIC_PREFIX) lets tests run on UUID-named topics.
import type {
  AdminAction,
  Alert,
  DeadLetter,
  DriftEvent,
  Feedback,
  ModelVersionEvent,
  RetrainRequest,
  Review,
  ScoredReview,
  ScrapeCursor,
  TrainingRun,
} from '../../schemas/types.generated.js';

export const TOPIC_KEYS = [
  'reviews',
  'scored',
  'feedback',
  'drift',
  'retrain',
  'registry',
  'trainingRuns',
  'triggerState',
  'predictionLog',
  'deadLetter',
  'audit',
  'scrapeCursors',
  'alerts',
] as const;
export type TopicKey = (typeof TOPIC_KEYS)[number];

/** The value type each topic carries: a topic key binds its Avro type (checked against the catalogue in tests). */
export interface TopicValues {
  reviews: Review;
  scored: ScoredReview;
  feedback: Feedback;
  drift: DriftEvent;
  retrain: RetrainRequest;
  registry: ModelVersionEvent;
  trainingRuns: TrainingRun;
  triggerState: RetrainRequest;
  predictionLog: ScoredReview;
  deadLetter: DeadLetter;
  audit: AdminAction;
  scrapeCursors: ScrapeCursor;
  alerts: Alert;
}

export interface TopicSpec {
  key: TopicKey | 'probe';
  name: string;
  partitions: number;
  config: Record<string, string>;
  /** Schema file in schemas/ (without .avsc) for the record value. */
  schema?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const days = (n: number): string => String(n * DAY_MS);

interface Entry {
  base: string;
  partitions: number;
  config: Record<string, string>;
  schema: string;
  description: string;
}

export const CATALOGUE: Record<TopicKey, Entry> = {
  reviews: {
    base: 'ulasan.reviews',
    partitions: 6,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(14) },
    schema: 'Review',
    description: 'raw reviews from scrapers, keyed by review_id',
  },
  scored: {
    base: 'ulasan.reviews.scored',
    partitions: 6,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(14) },
    schema: 'ScoredReview',
    description: 'one ScoredReview per review and model version',
  },
  feedback: {
    base: 'ulasan.feedback',
    partitions: 3,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(90) },
    schema: 'Feedback',
    description: 'true labels from users and annotators',
  },
  drift: {
    base: 'ulasan.drift',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(90) },
    schema: 'DriftEvent',
    description: 'per-window drift test results',
  },
  retrain: {
    base: 'ulasan.retrain.requests',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(90) },
    schema: 'RetrainRequest',
    description: 'retrain requests from the trigger processor and admins',
  },
  registry: {
    base: 'ulasan.model.registry',
    partitions: 1,
    // Compacted, keyed by name/version: the latest stage of every version is kept forever.
    config: { 'cleanup.policy': 'compact', 'retention.ms': '-1', 'min.compaction.lag.ms': String(60 * 60 * 1000) },
    schema: 'ModelVersionEvent',
    description: 'model registry: every stage transition, compacted per version',
  },
  trainingRuns: {
    base: 'ulasan.training.runs',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(365) },
    schema: 'TrainingRun',
    description: 'training run lifecycle events',
  },
  triggerState: {
    base: 'ulasan.trigger.state',
    partitions: 1,
    config: { 'cleanup.policy': 'compact', 'retention.ms': '-1' },
    schema: 'RetrainRequest',
    description: 'last fired retrain request per trigger (compacted state)',
  },
  predictionLog: {
    base: 'ulasan.gateway.predictions',
    partitions: 3,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(14) },
    schema: 'ScoredReview',
    description: 'predictions served synchronously by the gateway',
  },
  deadLetter: {
    base: 'ulasan.dead-letter',
    partitions: 3,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(30) },
    schema: 'DeadLetter',
    description: 'records that could not be processed, with the reason and the original bytes',
  },
  audit: {
    base: 'ulasan.audit',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(730) },
    schema: 'AdminAction',
    description: 'audit trail of admin actions through the gateway (promote, rollback, reload)',
  },
  scrapeCursors: {
    base: 'ulasan.scraper.cursors',
    partitions: 1,
    // Compacted, keyed store/app: the latest cursor of every scraped app is kept forever.
    config: { 'cleanup.policy': 'compact', 'retention.ms': '-1' },
    schema: 'ScrapeCursor',
    description: 'scraper cursors: per store and app, the newest review of the last run and a run in progress',
  },
  alerts: {
    base: 'ulasan.alerts',
    partitions: 1,
    // One partition: the alerts processor reads it to its end at start to know what it already sent.
    config: { 'cleanup.policy': 'delete', 'retention.ms': days(365) },
    schema: 'Alert',
    description: 'alert state changes (opened, resolved) per app, kind and subject, in event time',
  },
};

export function topicSpec(key: TopicKey, prefix = ''): TopicSpec {
  const e = CATALOGUE[key];
  return { key, name: `${prefix}${e.base}`, partitions: e.partitions, config: { ...e.config }, schema: e.schema };
}

export function allTopics(prefix = ''): TopicSpec[] {
  return TOPIC_KEYS.map((k) => topicSpec(k, prefix));
}

export type TopicNames = Record<TopicKey, string>;

export function topicNames(prefix = ''): TopicNames {
  return Object.fromEntries(TOPIC_KEYS.map((k) => [k, `${prefix}${CATALOGUE[k].base}`])) as TopicNames;
}

/** TopicNameStrategy: the value subject of a topic. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
