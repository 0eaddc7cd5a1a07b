import { z } from '../shared/config.js';

export const reviewStoreShape = {
  REVIEW_STORE_GROUP: z.string().min(1).default('ulasan-review-store'),
  REVIEW_MAX_TEXT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(1024 * 1024)
    .default(32 * 1024),
};
