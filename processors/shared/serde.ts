// Avro serde through a Confluent-compatible registry (Apicurio's ccompat API in the local stack).
// Subjects follow TopicNameStrategy (<topic>-value) with BACKWARD compatibility.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { SerdeError } from './errors.js';
import { loadSchema } from './schemas.js';
import { valueSubject, type TopicSpec } from './topics.js';
import type { SchemaName } from '../../schemas/types.generated.js';

/** Confluent wire format: magic byte 0, then a 4-byte big-endian schema id. */
export function wireSchemaId(buf: Buffer | null | undefined): number | null {
  if (!buf || buf.length < 5 || buf[0] !== 0) return null;
  return buf.readInt32BE(1);
}

export class AvroSerde {
  readonly registry: SchemaRegistry;
  private readonly ids = new Map<string, number>();

  constructor(readonly url: string) {
    this.registry = new SchemaRegistry({ host: url, retry: { retries: 3 } });
  }

  /** Sets BACKWARD on the subject first, so the very first registration is already guarded. */
  private async setBackward(subject: string): Promise<void> {
    const res = await fetch(`${this.url}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    if (!res.ok) throw new SerdeError('SCHEMA_INCOMPATIBLE', `could not set BACKWARD on ${subject}: HTTP ${res.status} ${await res.text()}`);
  }

  async register(topic: string, schemaName: SchemaName | string, schema: Record<string, unknown> = loadSchema(schemaName)): Promise<number> {
    const subject = valueSubject(topic);
    await this.setBackward(subject);
    try {
      const { id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: 'BACKWARD' as never },
      );
      this.ids.set(topic, id);
      return id;
    } catch (err) {
      const status = (err as { status?: number }).status;
      const msg = (err as Error).message;
      if (status === 409 || /incompatib/i.test(msg)) {
        throw new SerdeError('SCHEMA_INCOMPATIBLE', `schema ${schemaName} is not BACKWARD compatible with ${subject}: ${msg}`, { cause: err });
      }
      throw new SerdeError('SCHEMA_NOT_FOUND', `registering ${schemaName} under ${subject} failed: ${msg}`, { cause: err });
    }
  }

  async registerAll(specs: TopicSpec[]): Promise<Map<string, number>> {
    for (const s of specs) if (s.schema) await this.register(s.name, s.schema);
    return new Map(this.ids);
  }

  schemaId(topic: string): number {
    const id = this.ids.get(topic);
    if (id === undefined) throw new SerdeError('SCHEMA_NOT_FOUND', `no schema registered for topic ${topic} in this process`);
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
    let type: { toBuffer(v: unknown): Buffer };
    try {
      type = (await this.registry.getSchema(id)) as unknown as typeof type;
    } catch (err) {
      throw new SerdeError('SERDE_ENCODE_FAILED', `could not load schema ${id} for ${topic}: ${(err as Error).message}`, { cause: err });
    }
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1); // byte 0 stays 0: the magic byte
    const encoder = (value: unknown): Buffer => {
      try {
        return Buffer.concat([header, type.toBuffer(value)]);
      } catch (err) {
        throw new SerdeError('SERDE_ENCODE_FAILED', `value does not match the ${topic} schema: ${(err as Error).message}`, { cause: err });
      }
    };
    this.encoders.set(key, encoder);
    return encoder;
  }

  /** Decodes a Confluent-framed Avro value. `expectedTopic` guards against another topic's schema. */
  async decode<T>(buf: Buffer | null, expectedTopic?: string): Promise<{ value: T; schemaId: number }> {
    const schemaId = wireSchemaId(buf);
    if (buf === null || schemaId === null) throw new SerdeError('SERDE_DECODE_FAILED', 'not Confluent-framed Avro (missing magic byte or schema id)');
    if (expectedTopic) {
      const expected = this.ids.get(expectedTopic);
      if (expected !== undefined && expected !== schemaId) {
        // A different id may still be an older version of this subject: accept only those.
        const versions = await this.subjectIds(valueSubject(expectedTopic));
        if (!versions.has(schemaId)) {
          const known = await fetch(`${this.url}/schemas/ids/${schemaId}`).then((r) => r.status !== 404);
          if (!known) throw new SerdeError('SCHEMA_NOT_FOUND', `unknown schema id ${schemaId}`);
          throw new SerdeError('SERDE_DECODE_FAILED', `schema id ${schemaId} is not a version of ${valueSubject(expectedTopic)}`);
        }
      }
    }
    try {
      return { value: (await this.registry.decode(buf)) as T, schemaId };
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404) throw new SerdeError('SCHEMA_NOT_FOUND', `unknown schema id ${schemaId}`, { cause: err });
      throw new SerdeError('SERDE_DECODE_FAILED', `could not decode with schema ${schemaId}: ${(err as Error).message}`, { cause: err });
    }
  }

  private readonly versionCache = new Map<string, Set<number>>();
  private async subjectIds(subject: string): Promise<Set<number>> {
    const cached = this.versionCache.get(subject);
    if (cached) return cached;
    const res = await fetch(`${this.url}/subjects/${encodeURIComponent(subject)}/versions`);
    const ids = new Set<number>();
    if (res.ok) {
      for (const v of (await res.json()) as number[]) {
        const r = await fetch(`${this.url}/subjects/${encodeURIComponent(subject)}/versions/${v}`);
        if (r.ok) ids.add(((await r.json()) as { id: number }).id);
      }
    }
    this.versionCache.set(subject, ids);
    return ids;
  }
}
