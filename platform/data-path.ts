// Where a retrain may read its data from: an allow-list of roots (ULASAN_DATA_DIR and the directory
// of the launcher's own manifest). A path a request names (POST /retrain's `data`, a RetrainRequest's
// details.manifest) must resolve inside one of them, `..` and symlinks included; the manifest's own
// data sets must too. The gateway checks a request before it goes on the topic (400), and the launcher
// checks it again (a request may come straight from Kafka) before it opens anything. Refusals name
// the path and the rule, never a byte of the file.
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { UlasanError } from './errors.js';

/** The allowed roots: the data directory first (relative paths resolve against it), then the manifest's directory. */
export function retrainDataRoots(dataDir: string, manifestFile: string): string[] {
  return [...new Set([path.resolve(dataDir), path.dirname(path.resolve(manifestFile))])];
}

const inside = (file: string, root: string): boolean => {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

const real = (p: string): string => (existsSync(p) ? realpathSync(p) : p);

const refused = (what: string, message: string) =>
  new UlasanError('DATA_PATH_REFUSED', `${what}: ${message}`, { details: { what } });

/**
 * The path to read for `requested` (relative: against the first root), or DATA_PATH_REFUSED when it
 * lies outside every root, lexically or once its symlinks are resolved, or names something other
 * than a regular file. A path that does not exist passes (whoever reads it reports it missing).
 */
export function allowedDataPath(requested: string, roots: string[], what = 'data'): string {
  if (requested.trim() === '' || requested.includes('\0')) throw refused(what, 'is not a usable path');
  if (roots.length === 0) throw refused(what, 'no data root is configured');
  const file = path.isAbsolute(requested) ? path.normalize(requested) : path.resolve(roots[0]!, requested);
  const rootsText = `must lie inside ${roots.join(' or ')}`;
  if (!roots.some((r) => inside(file, path.resolve(r)))) throw refused(what, `${requested} ${rootsText}`);
  if (!existsSync(file)) return file;
  const resolved = realpathSync(file);
  if (!roots.some((r) => inside(resolved, real(path.resolve(r))))) {
    throw refused(what, `${requested} leads outside the data roots through a symbolic link (${rootsText})`);
  }
  if (!statSync(resolved).isFile()) throw refused(what, `${requested} is not a regular file`);
  return resolved;
}
