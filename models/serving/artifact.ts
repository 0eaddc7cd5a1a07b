// Whoever can write the registry topic names the directory every scorer loads. So a package is
// loaded only when it lies inside the artifact store and hashes to the content_hash its registry
// entry carries; anything else is refused and the current model stays.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageHash } from '../core/package.js';
import type { ModelVersionEvent } from '../../schemas/types.generated.js';
import { ArtifactError } from '../../platform/errors.js';

export type RefusalReason = 'not-a-file-uri' | 'missing' | 'outside-store' | 'hash-mismatch';

function refuse(reason: RefusalReason, message: string): never {
  throw new ArtifactError('ARTIFACT_REFUSED', message, { details: { reason } });
}

/** The artifact's directory, after checking where it is and what it hashes to; throws ArtifactError. */
export function verifiedArtifactDir(e: Pick<ModelVersionEvent, 'artifact_uri' | 'content_hash'>, root: string): string {
  if (!e.artifact_uri.startsWith('file://')) refuse('not-a-file-uri', `artifact_uri is not a file:// URI`);
  const dir = fileURLToPath(e.artifact_uri);
  if (!existsSync(dir)) refuse('missing', `artifact ${dir} does not exist`);
  // realpath on both sides: a symlink inside the store pointing elsewhere is outside it.
  const real = realpathSync(dir);
  const store = existsSync(root) ? realpathSync(root) : path.resolve(root);
  if (!real.startsWith(store + path.sep)) refuse('outside-store', `artifact ${dir} is outside the artifact store`);
  const actual = packageHash(real);
  if (actual !== e.content_hash) {
    refuse(
      'hash-mismatch',
      `artifact ${dir} hashes to ${actual.slice(0, 12)}, registry says ${e.content_hash.slice(0, 12)}`,
    );
  }
  return real;
}

export function refusalReason(err: unknown): RefusalReason | null {
  return err instanceof ArtifactError ? (err.details?.reason as RefusalReason) : null;
}
