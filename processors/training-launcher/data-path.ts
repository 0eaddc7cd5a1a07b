// The launcher's side of the data allow-list (platform/data-path.ts): a run's manifest, and
// every data set it names, must lie inside the allowed roots before anything is opened, so a
// RetrainRequest put straight on the topic is held to the same rule as one through the gateway.
import { readManifest, resolveDataPath, type Manifest } from '../../models/trainer/manifest.js';
import { allowedDataPath, retrainDataRoots } from '../../platform/data-path.js';

/** Every file a manifest reads: its sources (lexicons have none), evaluation sets and leakage sets. */
function manifestFiles(m: Manifest): { name: string; path: string }[] {
  const withPath = (s: { name: string; path?: string }) => (s.path ? [{ name: s.name, path: s.path }] : []);
  return [...m.sources.flatMap(withPath), ...m.evaluation, ...m.leakage.sets];
}

/**
 * The launcher's way to open a run's manifest: the manifest inside the roots, then each of its data
 * sets inside them too (resolved as training resolves them, against `dataDir`).
 */
export function readAllowedManifest(requested: string, roots: string[], dataDir: string): Manifest {
  const manifest = readManifest(allowedDataPath(requested, roots, 'manifest'));
  for (const set of manifestFiles(manifest)) {
    allowedDataPath(resolveDataPath(set.path, dataDir), roots, `data set "${set.name}"`);
  }
  return manifest;
}

/** A run's manifest (the request's own or the launcher's), held to the roots of this launcher. */
export function readRunManifest(requested: string, dataDir: string, launcherManifest: string): Manifest {
  return readAllowedManifest(requested, retrainDataRoots(dataDir, launcherManifest), dataDir);
}
