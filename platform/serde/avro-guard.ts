// A structural pre-check of an Avro body against its writer type, run before avsc decodes it.
//
// avsc trusts the lengths and block counts it reads: a map block count of 2^40 in a 14-byte message
// makes it loop 2^40 times on an exhausted buffer (the event loop freezes). This walk reads the same
// bytes without building values and checks every string/bytes length and every block count against
// the bytes left *before* looping or allocating, so a hostile message fails in microseconds.
// A block of n items whose type needs at least s > 0 bytes must fit n * s bytes; items that can be
// empty (null, empty records) are capped by MAX_EMPTY_ITEMS. The total work is capped too.
import type { Type } from 'avsc';

export class AvroGuardError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at byte ${position}`);
    this.name = 'AvroGuardError';
  }
}

/** Items of a zero-byte type (null, an empty record) one block may declare. */
const MAX_EMPTY_ITEMS = 100_000;
/** Schema nodes one message may visit: bounds the walk whatever the schema. */
const MAX_STEPS = 5_000_000;

interface AvscNode {
  typeName: string;
  getFields?: () => { getType(): AvscNode }[];
  getItemsType?: () => AvscNode;
  getValuesType?: () => AvscNode;
  getTypes?: () => AvscNode[];
  getSize?: () => number;
  getSymbols?: () => string[];
  getUnderlyingType?: () => AvscNode;
}

class Walker {
  pos: number;
  steps = 0;
  private readonly minSizes = new Map<AvscNode, number>();

  constructor(
    private readonly buf: Buffer,
    offset: number,
  ) {
    this.pos = offset;
  }

  private fail(message: string): never {
    throw new AvroGuardError(message, this.pos);
  }

  /** Zig-zag varint as a float: exact below 2^53, and large values only need to be compared. */
  long(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      scale *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  private skip(n: number, what: string): void {
    if (n < 0) this.fail(`negative ${what} length ${n}`);
    if (n > this.buf.length - this.pos)
      this.fail(`${what} length ${n} exceeds the ${this.buf.length - this.pos} bytes left`);
    this.pos += n;
  }

  minSize(t: AvscNode, depth = 0): number {
    const known = this.minSizes.get(t);
    if (known !== undefined) return known;
    if (depth > 64) return 0; // recursive schemas: a lower bound of 0 is always safe
    let size: number;
    const name = t.typeName;
    if (name.startsWith('logical:')) size = this.minSize(t.getUnderlyingType!(), depth + 1);
    else if (name === 'null') size = 0;
    else if (name === 'float') size = 4;
    else if (name === 'double') size = 8;
    else if (name === 'fixed') size = t.getSize!();
    else if (name === 'record' || name === 'error')
      size = t.getFields!().reduce((s, f) => s + this.minSize(f.getType(), depth + 1), 0);
    else size = 1; // boolean, int, long, string, bytes, enum, array, map, union: at least one byte
    this.minSizes.set(t, size);
    return size;
  }

  private blocks(itemMin: number, readItem: () => void, what: string): void {
    for (;;) {
      let n = this.long();
      if (n === 0) return;
      if (n < 0) {
        n = -n;
        const bytes = this.long();
        if (bytes < 0 || bytes > this.buf.length - this.pos)
          this.fail(`${what} block size ${bytes} exceeds the bytes left`);
      }
      if (!Number.isSafeInteger(n)) this.fail(`${what} block count ${n} is not a safe integer`);
      if (itemMin > 0 && n * itemMin > this.buf.length - this.pos) {
        this.fail(`${what} block count ${n} needs at least ${n * itemMin} bytes; ${this.buf.length - this.pos} left`);
      }
      if (itemMin === 0 && n > MAX_EMPTY_ITEMS)
        this.fail(`${what} block count ${n} of empty items exceeds ${MAX_EMPTY_ITEMS}`);
      for (let i = 0; i < n; i++) readItem();
    }
  }

  walk(t: AvscNode): void {
    if (++this.steps > MAX_STEPS) this.fail(`message needs more than ${MAX_STEPS} decoding steps`);
    const name = t.typeName;
    if (name.startsWith('logical:')) return this.walk(t.getUnderlyingType!());
    switch (name) {
      case 'null':
        return;
      case 'boolean':
        return this.skip(1, 'boolean');
      case 'int':
      case 'long':
        this.long();
        return;
      case 'float':
        return this.skip(4, 'float');
      case 'double':
        return this.skip(8, 'double');
      case 'string':
      case 'bytes':
        return this.skip(this.long(), name);
      case 'fixed':
        return this.skip(t.getSize!(), 'fixed');
      case 'enum':
        this.index(t.getSymbols!().length, 'enum');
        return;
      case 'array':
        return this.blocks(this.minSize(t.getItemsType!()), () => this.walk(t.getItemsType!()), 'array');
      case 'map':
        // A map entry is a key (at least its length byte) and a value.
        return this.blocks(1 + this.minSize(t.getValuesType!()), () => this.mapEntry(t.getValuesType!()), 'map');
      case 'record':
      case 'error':
        for (const f of t.getFields!()) this.walk(f.getType());
        return;
      default:
        if (name.startsWith('union')) return this.walk(t.getTypes!()[this.index(t.getTypes!().length, 'union')]!);
        this.fail(`unsupported Avro type ${name}`);
    }
  }

  private mapEntry(values: AvscNode): void {
    this.skip(this.long(), 'map key');
    this.walk(values);
  }

  private index(count: number, what: string): number {
    const i = this.long();
    if (!Number.isInteger(i) || i < 0 || i >= count) this.fail(`${what} index ${i} outside [0, ${count})`);
    return i;
  }
}

/**
 * Throws AvroGuardError unless `buf` from `offset` is exactly one well-formed value of `type`: every
 * length and count fits the bytes left, every union/enum index is in range, nothing trails.
 */
export function guardAvro(type: Type, buf: Buffer, offset = 0): void {
  const w = new Walker(buf, offset);
  w.walk(type as unknown as AvscNode);
  if (w.pos !== buf.length) throw new AvroGuardError(`${buf.length - w.pos} trailing bytes`, w.pos);
}
