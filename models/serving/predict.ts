// Inference on a consumer's batch without starving its heartbeat (the scorer and replay).
import type { InferenceEngine, Prediction } from '../core/engine.js';

/** A slice of a batch's inference takes about this long at most, then the consumer heartbeats. */
const BEAT_EVERY_MS = 3000;

/**
 * Predicts in slices sized to take about BEAT_EVERY_MS each, heartbeating between them: a slow
 * model (a transformer scores tens of reviews a second on a CPU) must not keep a large batch from
 * heartbeating, or the member is fenced and the batch retried forever. The compact model does a
 * first slice of 256 and then the rest of the batch in one call.
 */
export async function predictSliced(
  model: Pick<InferenceEngine, 'predict'>,
  texts: string[],
  cleaned: string[] | undefined,
  beat: () => Promise<void>,
  beatEveryMs = BEAT_EVERY_MS,
  appIds?: readonly (string | null | undefined)[],
): Promise<Prediction[]> {
  const out: Prediction[] = [];
  let size = 256;
  for (let at = 0; at < texts.length;) {
    if (at > 0) await beat();
    const started = performance.now();
    const slice = texts.slice(at, at + size);
    const options = { cleaned: cleaned?.slice(at, at + size), appIds: appIds?.slice(at, at + size) };
    for (const p of await model.predict(slice, options)) out.push(p);
    at += slice.length;
    const perText = Math.max(1e-6, (performance.now() - started) / slice.length);
    size = Math.max(16, Math.floor(beatEveryMs / perText));
  }
  return out;
}
