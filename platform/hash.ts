// Content hashing of artifact directories: what the registry keys artifacts by and what a scorer checks
// before it loads a package (a tampered or half-copied package never serves).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** sha256 over the package's files (names and bytes, sorted): the registry's content hash. */
export function packageHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) {
    h.update(f)
      .update('\u0000')
      .update(readFileSync(path.join(dir, f)))
      .update('\u0000');
  }
  return h.digest('hex');
}
