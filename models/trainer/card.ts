// The model card as text: what `npm run registry -- show` prints for a version's package.
import type { UlasanMeta } from '../core/package.js';
import type { ModelCard } from './pipeline.js';

const f4 = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : '-');

export function modelCardLines(meta: UlasanMeta): string[] {
  const card = meta.model_card as ModelCard | undefined;
  const lines = [
    `model ${meta.name} ${meta.version} (${meta.family}), ` +
      `feature set ${meta.feature_set_version ?? '-'}, created ${meta.created_at}`,
  ];
  if (!card) return [...lines, 'no model card (package not built by the Ulasan trainer)'];
  lines.push(
    `training data: manifest "${card.manifest.name}", ${card.training.rows} rows, ` +
      `dataset sha256 ${card.training.dataset_hash.slice(0, 16)}...`,
  );
  for (const s of card.training.sources) {
    lines.push(
      `  ${s.name.padEnd(18)} kept ${String(s.kept).padStart(6)} of ${String(s.labelled).padStart(6)} labelled  ` +
        `duplicates ${s.duplicates}  leaked ${s.leaked}  ` +
        `conflicts ${s.conflicts_resolved}/${s.conflicts_dropped} (resolved/dropped)  sha256 ${s.sha256.slice(0, 12)}`,
    );
  }
  lines.push('evaluation (held out):');
  for (const [name, r] of Object.entries(card.evaluation)) {
    lines.push(
      `  ${name.padEnd(18)} n ${String(r.n).padStart(5)}  ` +
        `accuracy ${f4(r.accuracy)}  macro-F1 ${f4(r.macro_f1)}  ECE ${f4(r.ece)}`,
    );
    for (const [slice, values] of Object.entries(r.slices)) {
      lines.push(
        `    ${slice}: ${Object.entries(values)
          .map(([v, m]) => `${v} n=${m.n} mF1 ${f4(m.macro_f1)}`)
          .join(' | ')}`,
      );
    }
  }
  const c = card.calibration;
  lines.push(
    `calibration: temperature ${f4(c.temperature)} on ${c.fitted_on}; offsets ${JSON.stringify(c.offsets)}; ` +
      `dev ECE ${f4(c.dev_ece_before)} -> ${f4(c.dev_ece_after)}`,
  );
  lines.push(`export fidelity: max |p_onnx - p_ts| = ${card.export_max_abs_diff.toExponential(2)}`);
  const d = card.distillation;
  if (d) {
    const u = d.unlabeled;
    lines.push(
      `distilled from ${d.teacher.name} ${d.teacher.version} ` +
        `(${d.teacher.family}, sha256 ${d.teacher.content_hash.slice(0, 12)}): ` +
        `${u.used} of ${u.rows} unlabeled texts from ${u.source} (left out: ${u.excluded_evaluation} evaluation, ` +
        `${u.excluded_labelled} labelled), temperature ${d.temperature}, weight ${d.weight}`,
    );
    for (const [set, a] of Object.entries(d.agreement))
      lines.push(`  agrees with the teacher on ${set}: ${f4(a.top_label)} of ${a.n} (max |dp| ${f4(a.max_abs_diff)})`);
  }
  return lines;
}
