// Loads the Avro schemas in schemas/*.avsc. Shared named types (e.g. id.ulasan.Sentiment) live in
// their own file and are inlined at first use, so every registered schema is self-contained and
// needs no registry references.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';

export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

export type AvroSchema = string | AvroSchema[] | { [k: string]: unknown };

export function listSchemaFiles(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .map((f) => f.slice(0, -'.avsc'.length))
    .sort();
}

function readRaw(name: string, dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(dir, `${name}.avsc`), 'utf8')) as Record<string, unknown>;
}

function fullName(s: Record<string, unknown>): string {
  const n = String(s.name);
  return n.includes('.') || !s.namespace ? n : `${String(s.namespace)}.${n}`;
}

/** Returns the schema with references to other files' named types inlined once. */
export function loadSchema(name: string, dir = SCHEMA_DIR): Record<string, unknown> {
  const named = new Map<string, Record<string, unknown>>();
  for (const f of listSchemaFiles(dir)) {
    const raw = readRaw(f, dir);
    named.set(fullName(raw), raw);
  }
  const root = readRaw(name, dir);
  const defined = new Set<string>([fullName(root)]);
  const walk = (node: unknown, ns: string): unknown => {
    if (typeof node === 'string') {
      const fq = node.includes('.') ? node : `${ns}.${node}`;
      const ext = named.get(fq);
      if (ext && !defined.has(fq)) {
        defined.add(fq);
        return walk(ext, String(ext.namespace ?? ns));
      }
      return node;
    }
    if (Array.isArray(node)) return node.map((n) => walk(n, ns));
    if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if ((o.type === 'record' || o.type === 'enum' || o.type === 'fixed') && o.name)
        defined.add(fullName({ namespace: ns, ...o }));
      const childNs = typeof o.namespace === 'string' ? o.namespace : ns;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) {
        out[k] = k === 'type' || k === 'items' || k === 'values' || k === 'fields' ? walk(v, childNs) : v;
      }
      return out;
    }
    return node;
  };
  const out = walk(root, String(root.namespace ?? '')) as Record<string, unknown>;
  avro.Type.forSchema(out as avro.Schema); // fails loudly on an invalid schema
  return out;
}
