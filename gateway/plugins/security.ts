// Who is calling, how often, and may they: the bearer token resolved once per request, the rate
// limit, and `app.need(role)` for the route groups. Registered on the root (fastify-plugin), because
// the identity and `need` must reach every encapsulated route group.
//
// Order matters: both hooks below are root onRequest hooks, so they run before any route's own
// onRequest (the role check). Every request is therefore counted, also one that ends in 401: a
// caller with a valid token against the token's budget, any other (no token, a wrong one) against its
// address's budget. Token guessing and 401 floods spend the guesser's address budget.
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { allows, bearer, type Identity, type Role, type TokenBook } from '../auth.js';
import { fail } from './errors.js';

/** Why a request may not use a route: no or an unknown token (401), or a role below the route's (403). */
export interface Refusal {
  code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  reason: string;
}

/** Called before a refused request is answered (the admin routes audit it). */
export type OnRefused = (req: FastifyRequest, refusal: Refusal) => Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
  }
  interface FastifyInstance {
    /** An onRequest hook that refuses the request unless its token has `role` (or a higher one). */
    need(role: Role, onRefused?: OnRefused): onRequestHookHandler;
  }
}

export interface SecurityOptions {
  /** Who may call what: an empty book means every role-protected route answers 401. */
  tokens: TokenBook;
  /** Requests per window for each valid token. */
  rateLimitMax: number;
  /** Requests per window for each client address without a valid token (401s included). */
  rateLimitAnonymousMax: number;
  rateLimitWindowMs: number;
}

export function refusalOf(req: FastifyRequest, role: Role): Refusal | null {
  if (!req.identity) {
    const presented = bearer(req.headers.authorization) !== null;
    return {
      code: 'UNAUTHENTICATED',
      reason: presented ? 'bearer token not recognised' : 'this route needs a bearer token',
    };
  }
  if (allows(req.identity, role)) return null;
  return { code: 'FORBIDDEN', reason: `this route needs the ${role} role (the token has ${req.identity.role})` };
}

export const securityPlugin = fp<SecurityOptions>(
  async (app, o) => {
    app.decorateRequest('identity', null);
    app.addHook('onRequest', async (req) => {
      const token = bearer(req.headers.authorization);
      req.identity = token ? o.tokens.identify(token) : null;
    });
    await app.register(rateLimit, {
      global: false,
      timeWindow: o.rateLimitWindowMs,
      keyGenerator: (req) => (req.identity ? `token:${req.identity.name}` : `ip:${req.ip}`),
      max: async (req) => (req.identity ? o.rateLimitMax : o.rateLimitAnonymousMax),
      errorResponseBuilder: (req, ctx) => ({
        code: 'RATE_LIMITED',
        message: `rate limit of ${ctx.max} requests per ${ctx.after} exceeded (${req.identity ? 'token' : 'address'})`,
        statusCode: 429,
        request_id: req.id,
      }),
    });
    app.addHook('onRequest', app.rateLimit());
    app.decorate('need', (role: Role, onRefused?: OnRefused): onRequestHookHandler => async (req) => {
      const refusal = refusalOf(req, role);
      if (!refusal) return;
      await onRefused?.(req, refusal);
      throw fail(refusal.code, refusal.reason);
    });
  },
  { name: 'ulasan-security' },
);
