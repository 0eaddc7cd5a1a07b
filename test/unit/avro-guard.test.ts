// The structural Avro check that runs before avsc: hostile lengths and block counts are refused
// quickly, every well-formed value passes, and nothing the guard accepts makes avsc throw or hang.
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroGuardError, guardAvro } from '../../platform/serde/avro-guard.js';
import { listSchemaFiles, loadSchema } from '../../platform/serde/schemas.js';
import path from 'node:path';
import { varint } from '../helpers.js';

const names = listSchemaFiles().map((f) => path.basename(f, '.avsc'));
const typeOf = (name: string): avro.Type => avro.Type.forSchema(loadSchema(name) as avro.Schema);

describe('guardAvro', () => {
  it.each(names)('accepts 200 random well-formed %s values', (name) => {
    const t = typeOf(name);
    for (let i = 0; i < 200; i++) expect(() => guardAvro(t, t.toBuffer(t.random()))).not.toThrow();
  });

  it('refuses a 2^40 map block count in microseconds (avsc alone loops 2^40 times)', () => {
    const t = avro.Type.forSchema({ type: 'map', values: 'string' });
    const hostile = Buffer.from(varint(2 ** 40));
    const t0 = performance.now();
    expect(() => guardAvro(t, hostile)).toThrow(/block count 1099511627776 needs at least/);
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it('refuses a huge array count of zero-byte items, and a negative block with a lying byte size', () => {
    const nulls = avro.Type.forSchema({ type: 'array', items: 'null' });
    expect(() => guardAvro(nulls, Buffer.from([...varint(10 ** 9), 0]))).toThrow(/empty items/);
    const strings = avro.Type.forSchema({ type: 'array', items: 'string' });
    expect(() => guardAvro(strings, Buffer.from([...varint(-1), ...varint(1000), 0, 0]))).toThrow(/block size 1000/);
  });

  it('refuses a negative or oversized string length, a bad union index and trailing bytes', () => {
    const s = avro.Type.forSchema('string');
    expect(() => guardAvro(s, Buffer.from(varint(-5)))).toThrow(/negative string length/);
    expect(() => guardAvro(s, Buffer.from([...varint(100), 65]))).toThrow(/exceeds the 1 bytes left/);
    const u = avro.Type.forSchema(['null', 'string']);
    expect(() => guardAvro(u, Buffer.from(varint(7)))).toThrow(/union index 7/);
    expect(() => guardAvro(s, Buffer.from([...varint(1), 65, 66]))).toThrow(/1 trailing bytes/);
  });

  it('refuses a truncated value and a varint longer than 10 bytes', () => {
    const t = typeOf('Review');
    const good = t.toBuffer(t.random());
    expect(() => guardAvro(t, good.subarray(0, good.length - 1))).toThrow(AvroGuardError);
    expect(() => guardAvro(avro.Type.forSchema('long'), Buffer.alloc(11, 0xff))).toThrow(/longer than 10 bytes/);
  });

  it.each(names)('fuzz: whatever it accepts of random bytes, avsc decodes (%s)', (name) => {
    const t = typeOf(name);
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 256;
    for (let i = 0; i < 5000; i++) {
      const base = i % 2 ? t.toBuffer(t.random()) : Buffer.alloc(0);
      const bytes = Buffer.from([...base, ...Array.from({ length: 1 + (i % 40) }, () => Math.floor(rand()))]);
      const cut = bytes.subarray(0, Math.max(1, Math.floor((rand() / 256) * bytes.length)));
      let ok = true;
      try {
        guardAvro(t, cut);
      } catch (err) {
        expect(err).toBeInstanceOf(AvroGuardError);
        ok = false;
      }
      if (ok) {
        expect(() => t.fromBuffer(cut)).not.toThrow();
      }
    }
  });
});
