// The gateway's one error shape, set on the root instance (fastify-plugin lets the handlers escape
// encapsulation, so every route group answers the same way): every 4xx/5xx body is
// { code, message, statusCode, request_id }, its code and status from the error registry
// (platform/errors.ts: code, title, status).
import type { FastifyError, FastifySchemaValidationError } from 'fastify';
import fp from 'fastify-plugin';
import { ERROR_INFO, UlasanError, isUlasanError, type ErrorCode } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { ErrorBody } from '../schemas.js';

export function fail(code: ErrorCode, message?: string): UlasanError {
  return new UlasanError(code, message);
}

/** OpenAPI: the route takes a bearer token. */
export const secured = { security: [{ bearer: [] }] };

/** The error responses every route documents. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  413: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
};

/** The error code and HTTP status for any error a route or fastify throws. */
function classify(err: FastifyError | UlasanError): { code: ErrorCode; statusCode: number } {
  const status = (err as FastifyError).statusCode;
  let code: ErrorCode = 'INTERNAL';
  if (isUlasanError(err)) code = err.code;
  else if ((err as FastifyError).validation) code = 'VALIDATION_FAILED';
  else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)
    code = 'INVALID_JSON';
  else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') code = 'BODY_TOO_LARGE';
  else if (status === 429) code = 'RATE_LIMITED';
  else if (status && status < 500) code = 'VALIDATION_FAILED';
  return { code, statusCode: status === 415 ? 415 : ERROR_INFO[code].status };
}

/**
 * A validation failure that names the field: `body/text must be string`, and for a field the schema
 * does not have, `body/evil is not a known field` (ajv's own text says only "additional properties").
 */
export function validationMessage(errors: FastifySchemaValidationError[], dataVar: string): string {
  return errors
    .map((e) => {
      const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty?: string }) : null;
      if (extra?.additionalProperty !== undefined) {
        return `${dataVar}${e.instancePath}/${extra.additionalProperty} is not a known field`;
      }
      return `${dataVar}${e.instancePath} ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}

export interface ErrorsOptions {
  /** Where 5xx errors are logged (with the request id); fastify's own request logging stays off. */
  log?: Pick<Logger, 'error'>;
}

/**
 * A 5xx body carries only the code's fixed title (never the error's own message, which may hold SQL,
 * database names or paths); the full error goes to the log under the same request id.
 */
export const errorsPlugin = fp<ErrorsOptions>(
  async (app, { log }) => {
    app.setSchemaErrorFormatter((errors, dataVar) => new Error(validationMessage(errors, dataVar)));
    app.setErrorHandler((err: FastifyError | UlasanError, req, reply) => {
      const { code, statusCode } = classify(err);
      let message = err.message;
      if (statusCode === 415) message = 'content-type must be application/json';
      if (statusCode >= 500) {
        message = ERROR_INFO[code].title;
        log?.error({ err, request_id: req.id, code, method: req.method, url: req.url }, 'request failed');
      }
      void reply.status(statusCode).send({ code, message, statusCode, request_id: req.id });
    });
    app.setNotFoundHandler((req, reply) => {
      const body = { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, statusCode: 404 };
      void reply.status(404).send({ ...body, request_id: req.id });
    });
  },
  { name: 'ulasan-errors' },
);
