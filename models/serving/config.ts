// The model-serving variables that the scorer and the gateway share: which package or registry model
// they serve, and how the engine runs it. Each reader spreads this shape into its own.
import path from 'node:path';
import { PROJECT_ROOT, z } from '../../platform/config.js';

export const modelServingShape = {
  /** Package scored with until the registry names a Production version. */
  SCORING_MODEL_DIR: z
    .string()
    .min(1)
    .default(path.join(PROJECT_ROOT, 'models', 'packages', 'ulasan-compact')),
  /** Registry model name whose Production/Staging versions this scorer follows. */
  SCORING_MODEL_NAME: z.string().min(1).default('ulasan-compact'),
  /** Longer review texts are dead-lettered (TEXT_TOO_LARGE). */
  SCORING_MAX_TEXT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(1024 * 1024)
    .default(32 * 1024),
  /** ONNX Runtime threads per inference (0: its default). */
  SCORING_INTRA_OP_THREADS: z.coerce.number().int().min(0).max(64).default(1),
  /**
   * Reviews per inference call. 64, not 256: onnxruntime's CPU arena keeps its high-water mark (Node
   * cannot shrink it), and 256 long reviews grew it by 120 MB for good; 64 cost less CPU per review
   * too (docs/operations.md, "Memory").
   */
  SCORING_ENGINE_BATCH: z.coerce.number().int().min(1).max(4096).default(64),
};
