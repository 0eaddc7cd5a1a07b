import { hostname } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, z } from '../shared/config.js';

export const scoringShape = {
  SCORING_GROUP: z.string().min(1).default('ulasan-scoring'),
  /** Package scored with until the registry names a Production version. */
  SCORING_MODEL_DIR: z
    .string()
    .min(1)
    .default(path.join(PROJECT_ROOT, 'models', 'packages', 'ulasan-compact')),
  /** Registry model name whose Production/Staging versions this scorer follows. */
  SCORING_MODEL_NAME: z.string().min(1).default('ulasan-compact'),
  SCORING_SHADOW_SAMPLE: z.coerce.number().min(0).max(1).default(0.1),
  SCORING_MAX_TEXT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(1024 * 1024)
    .default(32 * 1024),
  SCORING_INTRA_OP_THREADS: z.coerce.number().int().min(0).max(64).default(1),
  /** How soon a crashed instance's partitions move to another (Kafka's group minimum is 6000). */
  SCORING_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  SCORING_MAX_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .default(1024 * 1024),
  SCORING_ENGINE_BATCH: z.coerce.number().int().min(1).max(4096).default(256),
  /**
   * Stable per instance: a restarted instance with the same id fences its crashed predecessor's
   * open transaction. Two live instances must not share it.
   */
  SCORING_INSTANCE_ID: z
    .string()
    .regex(/^[\w.-]+$/)
    .default(hostname()),
};
