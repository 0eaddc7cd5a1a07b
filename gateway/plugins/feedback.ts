// POST /feedback (feedback role): a true label for a review, acknowledged once Kafka has it.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Feedback } from '../../schemas/types.generated.js';
import { submitterOf } from '../auth.js';
import { FeedbackRequest } from '../schemas.js';
import { errorResponses, secured } from './errors.js';

export interface FeedbackDeps {
  sendFeedback(f: Feedback): Promise<void>;
}

export const feedbackPlugin: FastifyPluginAsync<FeedbackDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const accepted = Type.Object({ accepted: Type.Boolean() });
  app.post(
    '/feedback',
    {
      onRequest: app.need('feedback'),
      schema: { ...secured, body: FeedbackRequest, response: { 202: accepted, ...errorResponses }, tags: ['feedback'] },
    },
    async (req, reply) => {
      await deps.sendFeedback({
        review_id: req.body.review_id,
        true_label: req.body.true_label,
        source: req.body.source ?? 'gateway',
        // Repeats collapse per submitter downstream; the token's name itself stays out of the data.
        user_hash: submitterOf(req.identity!),
        comment: req.body.comment ?? null,
        given_at: Date.now(),
      });
      return reply.status(202).send({ accepted: true });
    },
  );
};
