// The admin routes (admin role, every one audited): promote, rollback, reload, retrain. A refused
// call (401/403) is audited too, within a per-address budget (refusalAudit).
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { allowedDataPath } from '../../platform/data-path.js';
import { manualRetrainRequest } from '../../processors/kit/retrain.js';
import type { RetrainRequest } from '../../schemas/types.generated.js';
import { ModelVersion, ReasonBody, RetrainBody, VersionParams } from '../schemas.js';
import { audited, refusalAudit, type RefusalAuditOptions } from './audit.js';
import { errorResponses, secured } from './errors.js';
import { view, type RegistryPort } from './models.js';

export interface AdminDeps {
  registry: RegistryPort;
  /** Re-reads the registry and loads its Production version; resolves with the version in use. */
  reload(): Promise<string>;
  /** Puts a retrain request on the topic the triggers use; resolves once Kafka acknowledged it. */
  requestRetrain(r: RetrainRequest): Promise<void>;
}

export interface AdminOptions extends AdminDeps, RefusalAuditOptions {
  /** Where /retrain's `data` may point (platform/data-path.ts); empty: no `data` is accepted. */
  retrainRoots: string[];
}

const events = { 200: Type.Object({ events: Type.Array(ModelVersion) }), ...errorResponses };
const schema = { ...secured, tags: ['admin'] };
// A bare POST (no body at all) means "no reason given": it validates as an empty object. A JSON
// `null` is a body, and is refused like any other body that is not an object.
const bareIsEmpty = async (req: FastifyRequest) => {
  if (req.body === undefined) req.body = {};
};
/** /model/reload takes no parameters: an empty object or no body. */
const NoBody = Type.Object({}, { additionalProperties: false });
const actorOf = (req: FastifyRequest) => `gateway:${req.identity!.name}`;

type Guard = { onRequest: onRequestHookHandler; preValidation: typeof bareIsEmpty };

/** POST /retrain: a manual RetrainRequest, its data path held to the allowed roots first. */
function retrainRoute(base: FastifyInstance, o: AdminOptions, guard: Guard): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const accepted = { 202: Type.Object({ request_id: Type.String() }), ...errorResponses };
  app.post(
    '/retrain',
    { ...guard, schema: { ...schema, body: RetrainBody, response: accepted } },
    async (req, reply) => {
      const reason = req.body.reason ?? 'manual retrain via gateway';
      const request = await audited(o, req, { action: 'retrain', reason }, async () => {
        // Refused (and audited as failed) before anything reaches the launcher: DATA_PATH_REFUSED.
        if (req.body.data !== undefined) allowedDataPath(req.body.data, o.retrainRoots);
        const r = manualRetrainRequest({
          modelName: o.modelName,
          requestedBy: actorOf(req),
          reason,
          manifest: req.body.data,
          teacher: req.body.teacher,
          unlabeledRows: req.body.unlabeled_rows,
        });
        await o.requestRetrain(r);
        return r;
      });
      return reply.status(202).send({ request_id: request.request_id });
    },
  );
}

export const adminPlugin: FastifyPluginAsync<AdminOptions> = async (base, o) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const onRefused = refusalAudit(o);
  const admin = (action: Parameters<typeof onRefused>[0]) => ({
    onRequest: app.need('admin', onRefused(action)),
    preValidation: bareIsEmpty,
  });
  app.post(
    '/models/:version/promote',
    { ...admin('promote'), schema: { ...schema, params: VersionParams, body: ReasonBody, response: events } },
    async (req) => {
      const reason = req.body.reason ?? 'promoted via gateway';
      const act = () => o.registry.promote(req.params.version, reason, actorOf(req));
      return { events: (await audited(o, req, { action: 'promote', reason }, act)).map(view) };
    },
  );
  app.post(
    '/models/rollback',
    { ...admin('rollback'), schema: { ...schema, body: ReasonBody, response: events } },
    async (req) => {
      const reason = req.body.reason ?? 'rolled back via gateway';
      const act = () => o.registry.rollback(reason, actorOf(req));
      return { events: (await audited(o, req, { action: 'rollback', reason }, act)).map(view) };
    },
  );
  const served = Type.Object({ model_version: Type.String() });
  app.post(
    '/model/reload',
    { ...admin('reload'), schema: { ...schema, body: NoBody, response: { 200: served, ...errorResponses } } },
    // to_version is the version now served (a refused package leaves the old one in place).
    async (req) => ({
      model_version: await audited(
        o,
        req,
        { action: 'reload', reason: 'reload via gateway' },
        o.reload,
        async (v) => v,
      ),
    }),
  );
  retrainRoute(app, o, admin('retrain'));
};
