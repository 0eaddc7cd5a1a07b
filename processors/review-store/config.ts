import { z } from '../../platform/config.js';

export const reviewStoreShape = {
  /** Consumer group of the review store. */
  REVIEW_STORE_GROUP: z.string().min(1).default('ulasan-review-store'),
  /** Longer review texts are dead-lettered (TEXT_TOO_LARGE). */
  REVIEW_MAX_TEXT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(1024 * 1024)
    .default(32 * 1024),
};
