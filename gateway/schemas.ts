// Route schemas: the single source of the gateway's request/response types (TypeBox gives both the
// JSON schema Fastify validates with and the TypeScript type), and of the OpenAPI document.
import { TEACHER_REF } from '../processors/kit/retrain.js';
import { Type, type Static } from 'typebox';

export const Sentiment = Type.Union([Type.Literal('negative'), Type.Literal('neutral'), Type.Literal('positive')]);

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  statusCode: Type.Integer(),
  request_id: Type.Optional(Type.String({ description: 'the id the gateway logged this request under' })),
});

const NonBlank = Type.String({ minLength: 1, maxLength: 32_768, pattern: '\\S' });

export const PredictRequest = Type.Object(
  {
    text: NonBlank,
    app_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    review_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type PredictRequest = Static<typeof PredictRequest>;

export const Prediction = Type.Object({
  label: Sentiment,
  confidence: Type.Number(),
  probabilities: Type.Object({ negative: Type.Number(), neutral: Type.Number(), positive: Type.Number() }),
  model_name: Type.String(),
  model_version: Type.String(),
  review_id: Type.String(),
});
export type Prediction = Static<typeof Prediction>;

export const BatchRequest = (max: number) =>
  Type.Object({ items: Type.Array(PredictRequest, { minItems: 1, maxItems: max }) }, { additionalProperties: false });
export const BatchResponse = Type.Object({ predictions: Type.Array(Prediction) });

export const FeedbackRequest = Type.Object(
  {
    review_id: Type.String({ minLength: 1, maxLength: 256 }),
    true_label: Sentiment,
    source: Type.Optional(Type.String({ maxLength: 64 })),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type FeedbackRequest = Static<typeof FeedbackRequest>;

export const ModelVersion = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  stage: Type.String(),
  metrics: Type.Record(Type.String(), Type.Number()),
  artifact_uri: Type.String(),
  run_id: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  since: Type.String(),
});

export const VersionParams = Type.Object({ version: Type.Integer({ minimum: 1 }) });
export const ReasonBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

/**
 * A manual retrain: why, and optionally a data manifest (a path the launcher can read) instead of its
 * own, or a registry version to distil into the compact model (`<model>@<version|production|staging>`).
 */
export const RetrainBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    data: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    teacher: Type.Optional(Type.String({ pattern: TEACHER_REF.source, maxLength: 120 })),
    unlabeled_rows: Type.Optional(Type.Integer({ minimum: 100, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

export const Stats = Type.Object({
  reviews_scored: Type.Integer(),
  last_24h: Type.Integer(),
  sentiment_mix: Type.Object({ negative: Type.Integer(), neutral: Type.Integer(), positive: Type.Integer() }),
  drift: Type.Object({
    latest_window: Type.Union([Type.String(), Type.Null()]),
    drifted: Type.Boolean(),
    severity: Type.Number(),
  }),
  model: Type.Object({ name: Type.String(), version: Type.String() }),
});
export type Stats = Static<typeof Stats>;

/** The latest window of every drift segment (each app, and all), with the reference it was judged against. */
export const DriftSegment = Type.Object({
  window_size: Type.String(),
  segment: Type.String(),
  latest_window: Type.String(),
  role: Type.String({
    description: "'reference' while the segment's reference is captured, then 'test'; 'none' without a reference",
  }),
  tested: Type.Boolean(),
  drifted: Type.Boolean(),
  drifted_features: Type.Array(Type.String()),
  reason: Type.String(),
  reference: Type.Object({
    origin: Type.String({
      description:
        'window: a period of the segment’s own traffic scored by the model in use; ' +
        'model: the held-out evaluation data profiled into that model’s package at training time',
    }),
    sources: Type.Array(Type.String(), { description: 'model origin: the evaluation sets pooled' }),
    model_version: Type.String(),
    start: Type.String(),
    end: Type.String(),
    rows: Type.Integer(),
  }),
});
export type DriftSegment = Static<typeof DriftSegment>;
