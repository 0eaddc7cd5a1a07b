// One registry of error codes: the const array gives the union type, the table gives each code its
// default message, HTTP status (for the gateway) and whether retrying can help (kafkajs-style).
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'JAVA_MISSING',
  'MAVEN_MISSING',
  'CLICKHOUSE_MISSING',
  'RESOLVE_FAILED',
  'START_FAILED',
  'NOT_READY',
  'BAD_CONFIG',
  'SCHEMA_NOT_FOUND',
  'SCHEMA_INCOMPATIBLE',
  'SERDE_DECODE_FAILED',
  'SERDE_ENCODE_FAILED',
  'REGISTRY_UNAVAILABLE',
  'TIMESTAMP_OUT_OF_RANGE',
  'CLICKHOUSE_QUERY_FAILED',
  'MIGRATION_FAILED',
  'KAFKA_UNAVAILABLE',
  'DATA_NOT_FOUND',
  'DATA_INVALID',
  'DATA_LEAKAGE',
  'TEACHER_INVALID',
  'MANIFEST_NOT_FOUND',
  'MANIFEST_INVALID',
  'DATA_PATH_REFUSED',
  'USAGE',
  'INVALID_INPUT',
  'MODEL_LOAD_FAILED',
  'ARTIFACT_REFUSED',
  'INFERENCE_FAILED',
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'BODY_TOO_LARGE',
  'RATE_LIMITED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'INTERNAL',
  'STORE_APP_NOT_FOUND',
  'STORE_UNAVAILABLE',
  'STORE_LAYOUT_CHANGED',
  'STORE_REQUEST_REFUSED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

interface ErrorInfo {
  status: number;
  retriable: boolean;
  title: string;
}

export const ERROR_INFO: Record<ErrorCode, ErrorInfo> = {
  CONFIG_INVALID: { status: 500, retriable: false, title: 'invalid configuration' },
  JAVA_MISSING: { status: 500, retriable: false, title: 'Java not found' },
  MAVEN_MISSING: { status: 500, retriable: false, title: 'Maven not found' },
  CLICKHOUSE_MISSING: { status: 500, retriable: false, title: 'clickhouse-server not found' },
  RESOLVE_FAILED: { status: 500, retriable: true, title: 'artifact resolution failed' },
  START_FAILED: { status: 500, retriable: true, title: 'service failed to start' },
  NOT_READY: { status: 503, retriable: true, title: 'service not ready' },
  BAD_CONFIG: { status: 500, retriable: false, title: 'bad stack configuration' },
  SCHEMA_NOT_FOUND: { status: 400, retriable: false, title: 'schema not found' },
  SCHEMA_INCOMPATIBLE: { status: 409, retriable: false, title: 'schema incompatible' },
  SERDE_DECODE_FAILED: { status: 400, retriable: false, title: 'record could not be decoded' },
  SERDE_ENCODE_FAILED: { status: 400, retriable: false, title: 'record could not be encoded' },
  REGISTRY_UNAVAILABLE: { status: 503, retriable: true, title: 'schema registry unavailable' },
  TIMESTAMP_OUT_OF_RANGE: { status: 400, retriable: false, title: 'timestamp outside the storable range' },
  CLICKHOUSE_QUERY_FAILED: { status: 502, retriable: true, title: 'ClickHouse query failed' },
  MIGRATION_FAILED: { status: 500, retriable: false, title: 'migration failed' },
  KAFKA_UNAVAILABLE: { status: 503, retriable: true, title: 'Kafka unavailable' },
  DATA_NOT_FOUND: { status: 404, retriable: false, title: 'data file not found' },
  DATA_INVALID: { status: 400, retriable: false, title: 'invalid data' },
  DATA_LEAKAGE: { status: 400, retriable: false, title: 'training data contains evaluation texts' },
  TEACHER_INVALID: { status: 400, retriable: false, title: 'the teacher package cannot label sentiment' },
  MANIFEST_NOT_FOUND: { status: 404, retriable: false, title: 'data manifest not found' },
  MANIFEST_INVALID: { status: 400, retriable: false, title: 'invalid data manifest' },
  DATA_PATH_REFUSED: { status: 400, retriable: false, title: 'data path outside the allowed data roots' },
  USAGE: { status: 400, retriable: false, title: 'wrong command-line usage' },
  INVALID_INPUT: { status: 400, retriable: false, title: 'invalid model input' },
  MODEL_LOAD_FAILED: { status: 500, retriable: false, title: 'model package could not be loaded' },
  ARTIFACT_REFUSED: { status: 409, retriable: false, title: 'model artifact failed verification' },
  INFERENCE_FAILED: { status: 500, retriable: true, title: 'inference failed' },
  VALIDATION_FAILED: { status: 400, retriable: false, title: 'request does not match the schema' },
  INVALID_JSON: { status: 400, retriable: false, title: 'request body is not valid JSON' },
  BODY_TOO_LARGE: { status: 413, retriable: false, title: 'request body too large' },
  RATE_LIMITED: { status: 429, retriable: true, title: 'too many requests' },
  UNAUTHENTICATED: { status: 401, retriable: false, title: 'this route needs a bearer token' },
  FORBIDDEN: { status: 403, retriable: false, title: 'bearer token not accepted for this route' },
  NOT_FOUND: { status: 404, retriable: false, title: 'not found' },
  INTERNAL: { status: 500, retriable: true, title: 'internal error' },
  STORE_APP_NOT_FOUND: { status: 404, retriable: false, title: 'the store has no app with this id' },
  STORE_UNAVAILABLE: { status: 503, retriable: true, title: 'the store throttled or failed the request' },
  STORE_LAYOUT_CHANGED: { status: 502, retriable: false, title: 'the store answered a page the scraper cannot parse' },
  STORE_REQUEST_REFUSED: { status: 502, retriable: false, title: 'the store refused the request (HTTP 4xx)' },
};

export class UlasanError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message ?? ERROR_INFO[code].title, { cause: options?.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = ERROR_INFO[code].retriable;
    this.status = ERROR_INFO[code].status;
    this.details = options?.details;
  }
}

export class ConfigError extends UlasanError {
  /** Every variable that failed, so one start-up reports them all at once. */
  readonly variables: string[];
  constructor(problems: { variable: string; message: string }[]) {
    super('CONFIG_INVALID', 'invalid configuration: ' + problems.map((p) => `${p.variable}: ${p.message}`).join('; '));
    this.variables = problems.map((p) => p.variable);
  }
}

export class StackError extends UlasanError {}
export class SerdeError extends UlasanError {}
export class ClickHouseError extends UlasanError {}
/** A registry entry whose package is outside the artifact store or does not match its content hash. */
export class ArtifactError extends UlasanError {}
/** A store request that failed: unknown app, throttling or outage (retriable), or a page that cannot be parsed. */
export class ScrapeError extends UlasanError {}

export function isUlasanError(e: unknown): e is UlasanError {
  return e instanceof UlasanError;
}
