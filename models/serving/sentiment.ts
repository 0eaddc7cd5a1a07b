// A model's label probabilities as the three product sentiments. Shared by the scorers, replay and
// the gateway so they agree on what a prediction means.
import type { Prediction } from '../core/engine.js';
import type { Sentiment } from '../../schemas/types.generated.js';

/** Probability per sentiment (labels the model does not map count as 0). */
export function sentimentProbs(p: Prediction, labelSentiments: (Sentiment | null)[]): Record<Sentiment, number> {
  const out: Record<Sentiment, number> = { negative: 0, neutral: 0, positive: 0 };
  Object.values(p.probabilities).forEach((prob, i) => {
    const s = labelSentiments[i];
    if (s) out[s] += prob;
  });
  return out;
}

/** The most probable sentiment (ties go to the first in negative, neutral, positive order). */
export function topSentiment(probs: Record<Sentiment, number>): Sentiment {
  if (probs.neutral > probs.negative) return probs.positive > probs.neutral ? 'positive' : 'neutral';
  return probs.positive > probs.negative ? 'positive' : 'negative';
}
