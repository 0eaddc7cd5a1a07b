// Counterfactual name augmentation: copies of a share of the training rows with an app/brand name
// written in (same label, same weight), so the name placeholder the masker leaves is seen in every
// class in proportion and carries no sentiment of its own. Without it the placeholder learns the mood
// of the reviews that happen to name an app (mostly 5-star Blibli reviews, and SmSA's telecom
// complaints), and "aplikasi <name>" moved the label shares by 3.9 points against "aplikasi ini".
import { rng } from './fasttext.js';

/** Where the name goes: before the review or after it, in a few ordinary phrasings. */
const TEMPLATES: readonly ((name: string, text: string) => string)[] = [
  (n, t) => `aplikasi ${n} ${t}`,
  (n, t) => `${n} ${t}`,
  (n, t) => `di ${n} ${t}`,
  (n, t) => `pakai ${n} ${t}`,
  (n, t) => `${t} di ${n}`,
  (n, t) => `${t} ${n}`,
];

/**
 * `share` x rows copies (rows drawn without replacement, deterministic for a seed), each with a name
 * drawn from `names` in one of the templates. Returns only the copies.
 */
export function counterfactualCopies<T extends { text: string }>(
  rows: readonly T[],
  names: readonly string[],
  share: number,
  seed: number,
): T[] {
  if (share <= 0 || !names.length || !rows.length) return [];
  const r = rng(seed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const count = Math.min(rows.length, Math.round(rows.length * share));
  return order.slice(0, count).map((i) => {
    const name = names[Math.floor(r() * names.length)]!;
    const template = TEMPLATES[Math.floor(r() * TEMPLATES.length)]!;
    return { ...rows[i]!, text: template(name, rows[i]!.text) };
  });
}
