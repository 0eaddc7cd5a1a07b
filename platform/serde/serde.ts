// Avro serde through a Confluent-compatible registry (Apicurio's ccompat API in the local stack).
// Subjects follow TopicNameStrategy (<topic>-value) with BACKWARD compatibility.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { guardAvro } from './avro-guard.js';
import { SerdeError } from '../errors.js';
import { loadSchema } from './schemas.js';
import { valueSubject, type TopicSpec } from '../kafka/topics.js';
import type { SchemaName } from '../../schemas/types.generated.js';

/** Confluent wire format: magic byte 0, then a 4-byte big-endian schema id. */
export function wireSchemaId(buf: Buffer | null | undefined): number | null {
  if (!buf || buf.length < 5 || buf[0] !== 0) return null;
  return buf.readInt32BE(1);
}

/** The schema id of a Confluent-framed value; NOT_AVRO (a bad record) when it is not framed. */
function framedSchemaId(buf: Buffer | null): number {
  const schemaId = wireSchemaId(buf);
  if (buf === null || schemaId === null) {
    throw new SerdeError('SERDE_DECODE_FAILED', 'not Confluent-framed Avro (missing magic byte or schema id)', {
      details: { reject: 'NOT_AVRO' },
    });
  }
  return schemaId;
}

/**
 * The Avro body after the 5-byte frame, checked by guardAvro before avsc sees it, so hostile lengths
 * and block counts are rejected in microseconds (a bounded walk) and dead-lettered.
 */
function decodeBody<T>(type: avro.Type, buf: Buffer, schemaId: number): { value: T; schemaId: number } {
  try {
    guardAvro(type, buf, 5);
    return { value: type.fromBuffer(buf.subarray(5)) as T, schemaId };
  } catch (err) {
    throw new SerdeError('SERDE_DECODE_FAILED', `could not decode with schema ${schemaId}: ${(err as Error).message}`, {
      cause: err,
      details: { reject: 'DECODE_FAILED' },
    });
  }
}

/** Shared buffer size of the batch encoder: a few hundred ScoredReviews per allocation. */
const ENCODE_CHUNK_BYTES = 256 * 1024;

/**
 * Writes the Confluent frame and the Avro body of `value` at `pos`; returns the end, or a negative
 * number (minus the missing bytes) when the buffer is too small. A bad value is SERDE_ENCODE_FAILED.
 */
function encodeFramed(type: avro.Type, id: number, value: unknown, buf: Buffer, pos: number, topic: string): number {
  if (buf.length - pos < 5) return pos - buf.length - 5;
  buf[pos] = 0; // the magic byte
  buf.writeInt32BE(id, pos + 1);
  try {
    return type.encode(value, buf, pos + 5);
  } catch (err) {
    throw new SerdeError('SERDE_ENCODE_FAILED', `value does not match the ${topic} schema: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Compatibility levels under which a new version cannot break the readers of older ones. */
const GUARDED_LEVELS = new Set(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

/**
 * Sets the registry's global compatibility (new subjects inherit it) as the admin identity, through
 * the registry guard. Used by the local stack after start and by `npm run kafka:provision`.
 */
export async function setGlobalCompatibility(
  url: string,
  admin: { username: string; password: string },
  level = 'BACKWARD',
): Promise<void> {
  const auth = Buffer.from(`${admin.username}:${admin.password}`).toString('base64');
  let res: Response;
  try {
    res = await fetch(`${url}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', authorization: `Basic ${auth}` },
      body: JSON.stringify({ compatibility: level }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new SerdeError(
      'REGISTRY_UNAVAILABLE',
      `schema registry unreachable (PUT /config): ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!res.ok)
    throw new SerdeError(
      res.status >= 500 ? 'REGISTRY_UNAVAILABLE' : 'SCHEMA_INCOMPATIBLE',
      `setting global compatibility ${level} failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`,
    );
}

/** How long a refused schema id stays refused without asking the registry again. */
const NEGATIVE_TTL_MS = 60_000;

export class AvroSerde {
  readonly registry: SchemaRegistry;
  private readonly ids = new Map<string, number>();

  constructor(readonly url: string) {
    this.registry = new SchemaRegistry({ host: url, retry: { retries: 3 } });
  }

  /**
   * The subject's effective compatibility must keep the schema guarantee. Setting it is the admin's
   * (the registry guard refuses PUT /config to everyone else; the stack and `npm run
   * kafka:provision` set the global level to BACKWARD), so a processor only checks it: registering
   * under NONE would let any incompatible version in.
   */
  private async checkCompatibility(subject: string): Promise<void> {
    type Config = { compatibilityLevel?: string };
    // defaultToGlobal: Apicurio answers NONE for a subject without its own rule although it enforces
    // the global one; a subject not registered yet is a 404, and the global level applies to it.
    const own = await this.registryGet<Config>(`/config/${encodeURIComponent(subject)}?defaultToGlobal=true`);
    const level = (own ?? (await this.registryGet<Config>('/config')))?.compatibilityLevel?.toUpperCase();
    if (!level || !GUARDED_LEVELS.has(level))
      throw new SerdeError(
        'SCHEMA_INCOMPATIBLE',
        `compatibility of ${subject} is ${level ?? 'unset'}, not BACKWARD: the registry admin sets it ` +
          '(npm run kafka:provision, or npm run stack:up locally)',
      );
  }

  async register(
    topic: string,
    schemaName: SchemaName | string,
    schema: Record<string, unknown> = loadSchema(schemaName),
  ): Promise<number> {
    const subject = valueSubject(topic);
    await this.checkCompatibility(subject);
    // Straight at the ccompat API, not the library's register(): that one compares the subject's own
    // config (Apicurio reports NONE for a subject that inherits the global rule) and PUTs a config on
    // a first registration, which is the admin's.
    let res: Response;
    try {
      res = await fetch(`${this.url}/subjects/${encodeURIComponent(subject)}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: JSON.stringify(schema) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new SerdeError(
        'REGISTRY_UNAVAILABLE',
        `registering ${schemaName} under ${subject}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const text = await res.text();
    if (res.status === 409 || /incompatib/i.test(text))
      throw new SerdeError(
        'SCHEMA_INCOMPATIBLE',
        `schema ${schemaName} is not BACKWARD compatible with ${subject}: ${text}`,
      );
    if (!res.ok)
      throw new SerdeError(
        res.status >= 500 ? 'REGISTRY_UNAVAILABLE' : 'SCHEMA_NOT_FOUND',
        `registering ${schemaName} under ${subject} failed: HTTP ${res.status} ${text.slice(0, 300)}`,
      );
    const { id } = JSON.parse(text) as { id: number };
    this.ids.set(topic, id);
    return id;
  }

  async registerAll(specs: TopicSpec[]): Promise<Map<string, number>> {
    for (const s of specs) if (s.schema) await this.register(s.name, s.schema);
    return new Map(this.ids);
  }

  schemaId(topic: string): number {
    const id = this.ids.get(topic);
    if (id === undefined)
      throw new SerdeError('SCHEMA_NOT_FOUND', `no schema registered for topic ${topic} in this process`);
    return id;
  }

  async encode(topic: string, value: unknown): Promise<Buffer> {
    return (await this.encoderFor(topic))(value);
  }

  private readonly encoders = new Map<string, (value: unknown) => Buffer>();

  /**
   * A synchronous encoder for one topic's registered schema, in the Confluent wire format (magic
   * byte 0, 4-byte schema id, Avro body): hot paths that encode thousands of records per batch skip
   * a promise per record. A bad value is a SERDE_ENCODE_FAILED error.
   */
  async encoderFor(topic: string): Promise<(value: unknown) => Buffer> {
    const id = this.schemaId(topic);
    const key = `${topic}\u0000${id}`;
    const cached = this.encoders.get(key);
    if (cached) return cached;
    const type = await this.typeFor(id);
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1); // byte 0 stays 0: the magic byte
    const encoder = (value: unknown): Buffer => {
      try {
        return Buffer.concat([header, type.toBuffer(value)]);
      } catch (err) {
        throw new SerdeError(
          'SERDE_ENCODE_FAILED',
          `value does not match the ${topic} schema: ${(err as Error).message}`,
          { cause: err },
        );
      }
    };
    this.encoders.set(key, encoder);
    return encoder;
  }

  /**
   * Like encoderFor, for a whole batch: every value is written (frame, then avsc's compiled writer)
   * into shared chunks of ENCODE_CHUNK_BYTES and handed out as subarrays, so a record costs no
   * buffer of its own, no copy out of avsc's scratch buffer and no Buffer.concat. Same bytes.
   */
  async batchEncoderFor(topic: string): Promise<(values: readonly unknown[]) => Buffer[]> {
    const id = this.schemaId(topic);
    const type = await this.typeFor(id);
    return (values) => {
      const out = new Array<Buffer>(values.length);
      let chunk = Buffer.allocUnsafe(ENCODE_CHUNK_BYTES);
      let pos = 0;
      for (let i = 0; i < values.length; i++) {
        let end = encodeFramed(type, id, values[i], chunk, pos, topic);
        while (end < 0) {
          // Does not fit what is left (-end bytes short): a fresh chunk, at least twice that size.
          chunk = Buffer.allocUnsafe(Math.max(ENCODE_CHUNK_BYTES, 2 * (chunk.length - pos - end)));
          pos = 0;
          end = encodeFramed(type, id, values[i], chunk, pos, topic);
        }
        out[i] = chunk.subarray(pos, end);
        pos = end;
      }
      return out;
    };
  }

  private readonly types = new Map<number, avro.Type>();

  /**
   * The Avro type of a schema id, cached only once fetched. A 404 is SCHEMA_NOT_FOUND (the record is
   * bad); anything else (connection refused, 5xx, a timeout) is REGISTRY_UNAVAILABLE, retriable: an
   * outage must pause the consumer, never turn valid records into dead letters.
   */
  async typeFor(id: number): Promise<avro.Type> {
    const cached = this.types.get(id);
    if (cached) return cached;
    // One request per id however many records ask at once (a producer encodes a chunk in parallel).
    let inFlight = this.typeRequests.get(id);
    if (!inFlight) {
      inFlight = this.fetchType(id).finally(() => this.typeRequests.delete(id));
      this.typeRequests.set(id, inFlight);
    }
    return inFlight;
  }

  private readonly typeRequests = new Map<number, Promise<avro.Type>>();

  private async fetchType(id: number): Promise<avro.Type> {
    const body = await this.registryGet<{ schema: string }>(`/schemas/ids/${id}`);
    if (body === null)
      throw new SerdeError('SCHEMA_NOT_FOUND', `unknown schema id ${id}`, { details: { reject: 'UNKNOWN_SCHEMA' } });
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(JSON.parse(body.schema) as avro.Schema);
    } catch (err) {
      throw new SerdeError(
        'SERDE_DECODE_FAILED',
        `schema ${id} is not a usable Avro schema: ${(err as Error).message}`,
        { details: { reject: 'UNKNOWN_SCHEMA' } },
      );
    }
    this.types.set(id, type);
    return type;
  }

  /** GET on the registry: the parsed body, null on 404, REGISTRY_UNAVAILABLE on anything else. */
  private async registryGet<T>(pathname: string): Promise<T | null> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${pathname}`, { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new SerdeError(
        'REGISTRY_UNAVAILABLE',
        `schema registry unreachable (GET ${pathname}): ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (res.status === 404) return null;
    if (!res.ok)
      throw new SerdeError('REGISTRY_UNAVAILABLE', `schema registry answered HTTP ${res.status} to GET ${pathname}`);
    return (await res.json()) as T;
  }

  /**
   * Decodes a Confluent-framed Avro value. `expectedTopic` guards against another subject's schema.
   * The body is checked by guardAvro before avsc sees it, so hostile lengths and block counts are
   * rejected in microseconds (a bounded walk) and dead-lettered.
   */
  async decode<T>(buf: Buffer | null, expectedTopic?: string): Promise<{ value: T; schemaId: number }> {
    const schemaId = framedSchemaId(buf);
    if (expectedTopic) await this.checkSubject(schemaId, expectedTopic);
    return decodeBody<T>(await this.typeFor(schemaId), buf!, schemaId);
  }

  /**
   * decode() without a promise, for hot paths: the same value and the same errors when the record's
   * schema id is this process's own for the topic (or the topic has none here) and its compiled
   * reader is cached; undefined when only decode() can answer (a registry lookup or a subject check).
   */
  decodeSync<T>(buf: Buffer | null, expectedTopic?: string): { value: T; schemaId: number } | undefined {
    const schemaId = framedSchemaId(buf);
    if (expectedTopic) {
      const expected = this.ids.get(expectedTopic);
      if (expected !== undefined && expected !== schemaId) return undefined;
    }
    const type = this.types.get(schemaId);
    return type ? decodeBody<T>(type, buf!, schemaId) : undefined;
  }

  /**
   * A schema id other than this process's own must be a registered version of the topic's subject.
   * Verdicts on unknown or foreign ids are cached for NEGATIVE_TTL_MS: a burst of garbage with random
   * schema ids costs one registry lookup per distinct id, not several per message.
   */
  private async checkSubject(schemaId: number, topic: string): Promise<void> {
    const expected = this.ids.get(topic);
    if (expected === undefined || expected === schemaId) return;
    const subject = valueSubject(topic);
    if ((await this.subjectIds(subject)).has(schemaId)) return;
    const verdictKey = `${subject}\u0000${schemaId}`;
    const cached = this.rejected.get(verdictKey);
    if (cached && cached.until > Date.now()) throw cached.error;
    const error = await this.foreignOrUnknown(schemaId, subject);
    if (!error) return;
    this.rejected.set(verdictKey, { error, until: Date.now() + NEGATIVE_TTL_MS });
    if (this.rejected.size > 10_000) this.rejected.delete(this.rejected.keys().next().value!);
    throw error;
  }

  private readonly rejected = new Map<string, { error: SerdeError; until: number }>();

  /** null when the id turned out to be a new version of the subject; else why it is refused. */
  private async foreignOrUnknown(schemaId: number, subject: string): Promise<SerdeError | null> {
    if (!this.types.has(schemaId) && (await this.registryGet(`/schemas/ids/${schemaId}`)) === null) {
      return new SerdeError('SCHEMA_NOT_FOUND', `unknown schema id ${schemaId}`, {
        details: { reject: 'UNKNOWN_SCHEMA' },
      });
    }
    // The id exists: perhaps a version registered after the cache was filled. Look once more.
    this.versionCache.delete(subject);
    if ((await this.subjectIds(subject)).has(schemaId)) return null;
    return new SerdeError('SERDE_DECODE_FAILED', `schema id ${schemaId} is not a version of ${subject}`, {
      details: { reject: 'WRONG_SCHEMA' },
    });
  }

  private readonly versionCache = new Map<string, Set<number>>();

  /** The schema ids of a subject's versions. Only a complete answer is cached (never an outage). */
  private async subjectIds(subject: string): Promise<Set<number>> {
    const cached = this.versionCache.get(subject);
    if (cached) return cached;
    const base = `/subjects/${encodeURIComponent(subject)}/versions`;
    const ids = new Set<number>();
    for (const v of (await this.registryGet<number[]>(base)) ?? []) {
      const version = await this.registryGet<{ id: number }>(`${base}/${v}`);
      if (version) ids.add(version.id);
    }
    this.versionCache.set(subject, ids);
    return ids;
  }
}
