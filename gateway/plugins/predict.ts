// POST /predict and /predict/batch (read role): the served model, micro-batched, each prediction
// logged fire-and-forget to the prediction-log topic.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { InferenceEngine } from '../../models/core/engine.js';
import { sentimentProbs, topSentiment } from '../../models/serving/sentiment.js';
import type { ScoredReview } from '../../schemas/types.generated.js';
import { MicroBatcher } from '../microbatch.js';
import { BatchRequest, BatchResponse, Prediction, PredictRequest } from '../schemas.js';
import { errorResponses, secured } from './errors.js';

export interface PredictDeps {
  /** The model the gateway serves. */
  engine(): InferenceEngine;
  /** Fire-and-forget prediction log (a topic); must not slow the response. */
  logPredictions(preds: ScoredReview[]): void;
}

export interface PredictOptions extends PredictDeps {
  /** Most texts in one /predict/batch request. */
  maxBatch: number;
  /** Batch concurrent /predict calls into shared engine runs. */
  microBatch: boolean;
}

function logRow(p: Prediction, appId: string, featureSet: string, now: number): ScoredReview {
  return {
    review_id: p.review_id,
    app_id: appId,
    source: 'gateway',
    label: p.label,
    prob_negative: p.probabilities.negative,
    prob_neutral: p.probabilities.neutral,
    prob_positive: p.probabilities.positive,
    model_name: p.model_name,
    model_version: p.model_version,
    feature_set_version: featureSet,
    shadow: false,
    created_at: now,
    scored_at: now,
    origin_partition: null,
    origin_offset: null,
    rating: null,
    features: {},
  };
}

/** Runs the engine once over the items and logs the predictions (fire-and-forget) to their topic. */
function predictor(deps: PredictDeps): (items: PredictRequest[]) => Promise<Prediction[]> {
  return async (items) => {
    const engine = deps.engine();
    // The review's own app name is masked like the listed brand names (a package with name masking).
    const preds = await engine.predict(
      items.map((i) => i.text),
      { appIds: items.map((i) => i.app_id) },
    );
    const out = preds.map((p, i) => {
      const probs = sentimentProbs(p, engine.pkg.sentiments);
      return {
        label: topSentiment(probs),
        confidence: Math.max(probs.negative, probs.neutral, probs.positive),
        probabilities: probs,
        model_name: p.modelName,
        model_version: p.modelVersion,
        review_id: items[i]!.review_id ?? `gw-${randomUUID()}`,
      };
    });
    const now = Date.now();
    const featureSet = engine.pkg.meta.feature_set_version ?? 'none';
    deps.logPredictions(out.map((p, i) => logRow(p, items[i]!.app_id ?? 'gateway', featureSet, now)));
    return out;
  };
}

export const predictPlugin: FastifyPluginAsync<PredictOptions> = async (base, o) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const predictMany = predictor(o);
  const batcher = new MicroBatcher<PredictRequest, Prediction>(predictMany, o.microBatch, 256);
  const read = { onRequest: app.need('read') };
  const tags = ['predict'];
  app.post(
    '/predict',
    { ...read, schema: { ...secured, body: PredictRequest, response: { 200: Prediction, ...errorResponses }, tags } },
    async (req) => batcher.submit(req.body),
  );
  app.post(
    '/predict/batch',
    {
      ...read,
      schema: { ...secured, body: BatchRequest(o.maxBatch), response: { 200: BatchResponse, ...errorResponses }, tags },
    },
    async (req) => ({ predictions: await predictMany(req.body.items) }),
  );
};
