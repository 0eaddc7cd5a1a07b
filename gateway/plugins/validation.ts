// Strict bodies, coerced URLs. Fastify's default ajv coerces types ({"text": 123} becomes "123",
// ["a"] becomes "a"), which the API never promised: a JSON body is validated as it came. Path and
// query parameters arrive as strings by nature, so they keep ajv's coercion ("?from=1000" is an
// integer). Both compilers are fastify's own (@fastify/ajv-compiler, its defaults and formats), and
// neither strips unknown fields: those are an error, not something to drop silently.
import type { FastifySchemaCompiler } from 'fastify';
import { AjvCompiler } from '@fastify/ajv-compiler';

const build = AjvCompiler();
const strict = build({}, { customOptions: { coerceTypes: false, removeAdditional: false }, plugins: [] });
const coercing = build({}, { customOptions: { coerceTypes: 'array', removeAdditional: false }, plugins: [] });

export const validatorCompiler: FastifySchemaCompiler<unknown> = (route) =>
  (route.httpPart === 'body' ? strict : coercing)(route as never) as ReturnType<FastifySchemaCompiler<unknown>>;
