import { hostname } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, z } from '../shared/config.js';

export const scoringShape = {
  /** Consumer group of the scorers (instances share the partitions). */
  SCORING_GROUP: z.string().min(1).default('ulasan-scoring'),
  /** Package scored with until the registry names a Production version. */
  SCORING_MODEL_DIR: z
    .string()
    .min(1)
    .default(path.join(PROJECT_ROOT, 'models', 'packages', 'ulasan-compact')),
  /** Registry model name whose Production/Staging versions this scorer follows. */
  SCORING_MODEL_NAME: z.string().min(1).default('ulasan-compact'),
  /** Share of reviews a Staging version also scores, as shadow predictions. */
  SCORING_SHADOW_SAMPLE: z.coerce.number().min(0).max(1).default(0.1),
  /** Longer review texts are dead-lettered (TEXT_TOO_LARGE). */
  SCORING_MAX_TEXT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(1024 * 1024)
    .default(32 * 1024),
  /** ONNX Runtime threads per inference (0: its default). */
  SCORING_INTRA_OP_THREADS: z.coerce.number().int().min(0).max(64).default(1),
  /** How soon a crashed instance's partitions move to another (Kafka's group minimum is 6000). */
  SCORING_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
  /** Kafka fetch size per partition, so one batch fits the transaction limits. */
  SCORING_MAX_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .default(1024 * 1024),
  /** Reviews per inference call. */
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
