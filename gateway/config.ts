// The gateway's variables: the model-serving variables it shares with the scorer, plus its own. Tokens
// come as hashes with roles (GATEWAY_TOKENS); the old single plain-text GATEWAY_ADMIN_TOKEN is refused with a pointer.
import path from 'node:path';
import { parseConfig, PROJECT_ROOT, z } from '../platform/config.js';
import { modelServingShape } from '../models/serving/config.js';
import { parseTokens } from './auth.js';

const tokens = z.string().superRefine((spec, ctx) => {
  for (const problem of parseTokens(spec).problems) ctx.addIssue({ code: 'custom', message: problem });
});

export const gatewayShape = {
  ...modelServingShape,
  /** HTTP port (0: any free port). */
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Address the gateway listens on. */
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  /** `name:role:sha256` entries, comma-separated (npm run gateway:token prints one); required in production. */
  GATEWAY_TOKENS: tokens.optional(),
  /** No longer read: refused with a pointer to GATEWAY_TOKENS. */
  GATEWAY_ADMIN_TOKEN: z
    .string()
    .optional()
    .refine((v) => v === undefined, {
      message: 'is no longer read: give hashed tokens with roles in GATEWAY_TOKENS (npm run gateway:token)',
    }),
  /** Most texts in one `/predict/batch` request. */
  GATEWAY_MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(256),
  /** Largest request body in bytes (413 beyond). */
  GATEWAY_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** Requests per window and valid token. */
  GATEWAY_RATE_LIMIT: z.coerce.number().int().min(1).default(6000),
  /** The window GATEWAY_RATE_LIMIT and GATEWAY_RATE_LIMIT_ANONYMOUS count in. */
  GATEWAY_RATE_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Requests per window and client address without a valid token (no token, a wrong one: 401s count too). */
  GATEWAY_RATE_LIMIT_ANONYMOUS: z.coerce.number().int().min(1).default(600),
  /** Audit records of refused admin calls (401/403) per client address and minute; the rest are only counted. */
  GATEWAY_REFUSED_AUDIT_MAX: z.coerce.number().int().min(0).max(10_000).default(20),
  /**
   * The training launcher's manifest (the launcher's variable of the same name): its directory and
   * ULASAN_DATA_DIR are where `POST /retrain`'s `data` may point.
   */
  LAUNCHER_MANIFEST: z
    .string()
    .min(1)
    .default(path.join(PROJECT_ROOT, 'models', 'manifests', 'default.json')),
  /** Batch concurrent `/predict` calls into shared engine runs. */
  GATEWAY_MICROBATCH: z.enum(['on', 'off']).default('on'),
  /** How long /feedback waits for Kafka to acknowledge before answering 503 (nothing is acknowledged unwritten). */
  GATEWAY_KAFKA_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  /** /stats, /stats/trend and /drift/segments are read from ClickHouse at most once per this period. */
  GATEWAY_VIEW_REFRESH_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** Linked from the status page. */
  GRAFANA_URL: z.string().url().default('http://127.0.0.1:3000'),
};

export type GatewayConfig = ReturnType<typeof parseGatewayConfig>;

export function parseGatewayConfig(env: NodeJS.ProcessEnv) {
  return parseConfig(gatewayShape, env, { requiredInProduction: ['GATEWAY_TOKENS'] });
}
