// Pure: what the drift detector sees of one scored review.
import { NUMERIC_FEATURES, type Features } from '../../models/features/features.js';
import type { MonitoredRecord } from './detector.js';

export function ratingBucket(rating: number | null | undefined): string {
  if (rating === null || rating === undefined) return 'none';
  return rating <= 2 ? 'low' : rating === 3 ? 'mid' : 'high';
}

export function monitoredRecord(input: {
  features: Partial<Record<string, number>> | Features;
  confidence: number;
  label: string;
  appId?: string;
  rating?: number | null;
}): MonitoredRecord {
  const numeric: Record<string, number> = { confidence: input.confidence };
  for (const f of NUMERIC_FEATURES) {
    const v = (input.features as Record<string, unknown>)[f];
    if (typeof v === 'number') numeric[f] = v;
  }
  const categorical: Record<string, string> = {
    predicted_label: input.label,
    rating_bucket: ratingBucket(input.rating),
  };
  if (input.appId) categorical.app_id = input.appId;
  return { numeric, categorical };
}
