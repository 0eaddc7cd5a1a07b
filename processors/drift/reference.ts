// The reference profile: the reference data set scored by the model, as the detector sees it.
import { InferenceEngine } from '../../models/core/engine.js';
import { computeFeatures } from '../../models/features/features.js';
import { readLabelledFile } from '../shared/datasets.js';
import { buildReference, type ReferenceProfile } from './detector.js';
import { monitoredRecord } from './records.js';

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
