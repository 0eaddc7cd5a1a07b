import { hostname } from 'node:os';
import { z } from '../../platform/config.js';
import { modelServingShape } from '../../models/serving/config.js';

export const scoringShape = {
  ...modelServingShape,
  /** Consumer group of the scorers (instances share the partitions). */
  SCORING_GROUP: z.string().min(1).default('ulasan-scoring'),
  /** Share of reviews a Staging version also scores, as shadow predictions. */
  SCORING_SHADOW_SAMPLE: z.coerce.number().min(0).max(1).default(0.1),
  /** How soon a crashed instance's partitions move to another (Kafka's group minimum is 6000). */
  SCORING_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  /** Kafka fetch size per partition, so one batch fits the transaction limits. */
  SCORING_MAX_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .default(1024 * 1024),
  /**
   * Stable per instance: a restarted instance with the same id fences its crashed predecessor's
   * open transaction. Two live instances must not share it.
   */
  SCORING_INSTANCE_ID: z
    .string()
    .regex(/^[\w.-]+$/)
    .default(hostname()),
};
