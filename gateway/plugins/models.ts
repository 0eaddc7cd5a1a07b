// GET /models and /models/:version (read role): the followed registry as it is.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ModelVersionEvent } from '../../schemas/types.generated.js';
import { ModelVersion, VersionParams } from '../schemas.js';
import { errorResponses, fail, secured } from './errors.js';

export interface RegistryPort {
  /** The followed registry state as it is (cheap: no Kafka round trip). */
  versions(): Promise<ModelVersionEvent[]>;
  promote(version: number, reason: string, actor: string): Promise<ModelVersionEvent[]>;
  rollback(reason: string, actor: string): Promise<ModelVersionEvent[]>;
}

export interface ModelsDeps {
  registry: Pick<RegistryPort, 'versions'>;
}

/** A registry event as the API shows it. */
export const view = (v: ModelVersionEvent) => ({
  name: v.name,
  version: v.version,
  stage: v.stage,
  metrics: v.metrics ?? {},
  artifact_uri: v.artifact_uri,
  run_id: v.run_id ?? null,
  reason: v.reason,
  since: new Date(v.timestamp).toISOString(),
});

export const modelsPlugin: FastifyPluginAsync<ModelsDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const read = { onRequest: app.need('read') };
  const list = Type.Object({ versions: Type.Array(ModelVersion) });
  app.get(
    '/models',
    { ...read, schema: { ...secured, response: { 200: list, ...errorResponses }, tags: ['models'] } },
    async () => ({ versions: (await deps.registry.versions()).map(view) }),
  );
  app.get(
    '/models/:version',
    {
      ...read,
      schema: {
        ...secured,
        params: VersionParams,
        response: { 200: ModelVersion, ...errorResponses },
        tags: ['models'],
      },
    },
    async (req) => {
      const v = (await deps.registry.versions()).find((x) => x.version === req.params.version);
      if (!v) throw fail('NOT_FOUND', `no model version ${req.params.version}`);
      return view(v);
    },
  );
};
