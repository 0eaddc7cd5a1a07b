// Reference profiles: a data set scored by the model (DRIFT_REFERENCE=dataset), or the profile a
// model package carries (DRIFT_REFERENCE=model), found by the model version that scored a window.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InferenceEngine } from '../../models/core/engine.js';
import { DRIFT_REFERENCE_FILE, type PackageDriftReference } from '../../models/features/monitored.js';
import { verifiedArtifactDir } from '../../models/serving/artifact.js';
import { unregisteredVersion } from '../../models/serving/model-holder.js';
import type { RegistryState } from '../../platform/registry/state.js';
import type { ReferenceLoader } from './model-references.js';
import { computeFeatures } from '../../models/features/features.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { buildReference, type ReferenceProfile } from './detector.js';
import { monitoredRecord } from '../../models/features/monitored.js';

export async function referenceFor(
  modelDir: string,
  datasetFile: string,
): Promise<{ profile: ReferenceProfile; modelVersion: string }> {
  const engine = await InferenceEngine.load(modelDir, { maxBatch: 256 });
  const rows = readLabelledFile(datasetFile).filter((r) => r.text.trim() !== '');
  const preds = await engine.predict(rows.map((r) => r.text));
  await engine.close();
  const records = rows.map((r, i) =>
    monitoredRecord({
      features: computeFeatures(r.text),
      confidence: preds[i]!.confidence,
      label: preds[i]!.sentiment ?? preds[i]!.label,
      rating: r.rating,
    }),
  );
  return { profile: buildReference(records), modelVersion: engine.version };
}

/** The drift reference stored in a package directory, or why it cannot be used. */
export function packageReference(dir: string): PackageDriftReference | { missing: string } {
  const file = path.join(dir, DRIFT_REFERENCE_FILE);
  if (!existsSync(file)) return { missing: `the package has no ${DRIFT_REFERENCE_FILE} (trained before references)` };
  try {
    const ref = JSON.parse(readFileSync(file, 'utf8')) as PackageDriftReference;
    if (ref.format !== 1 || typeof ref.sources !== 'object')
      return { missing: `unknown ${DRIFT_REFERENCE_FILE} format` };
    return ref;
  } catch (err) {
    return { missing: `unreadable ${DRIFT_REFERENCE_FILE}: ${(err as Error).message}` };
  }
}

/**
 * Version -> package: the start-up package (its pkg-<hash> version), or a registry version of the
 * model, loaded only from inside the artifact store and only when it hashes to its registry entry.
 */
export function packageReferenceLoader(o: {
  startupDir: string;
  modelName: string;
  registry: RegistryState;
  artifactRoot: string;
}): ReferenceLoader {
  const startup = existsSync(o.startupDir) ? unregisteredVersion(o.startupDir) : null;
  return (version) => {
    if (version === startup) return packageReference(o.startupDir);
    const entry = /^\d+$/.test(version) ? o.registry.version(o.modelName, Number(version)) : undefined;
    if (!entry) return { missing: `version ${version} is neither the start-up package nor in the registry` };
    try {
      return packageReference(verifiedArtifactDir(entry, o.artifactRoot));
    } catch (err) {
      return { missing: (err as Error).message };
    }
  };
}
