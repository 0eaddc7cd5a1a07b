// The promotion gate, pure: a candidate and Production scored on the same held-out rows; promotion
// needs non-inferiority on macro-F1 and accuracy (the one-sided lower bound of the paired difference
// at least -margin), no segment worse beyond its own bound, calibration (ECE) not worse beyond its
// bound, the worst name shift within its bound (when the package measured it), and the ratchet:
// the same non-inferiority against the best of the last N Production versions, so that losses
// within the margin cannot add up over successive promotions.
import {
  pairedBootstrap,
  statsOf,
  type BootstrapOptions,
  type GateMetric,
  type Interval,
  type RowStats,
  type Scored,
} from './gate-stats.js';

export interface GateSettings extends BootstrapOptions {
  /** Register as Staging only at or above this accuracy on the gate's rows. */
  registerAccuracy: number;
  /** Promote only above this accuracy ... */
  promoteAccuracy: number;
  /** ... and when the lower bound of (candidate - reference) of macro-F1 and accuracy is >= -margin. */
  margin: number;
  /** A segment's own lower bound of the difference must be >= -segmentMargin ... */
  segmentMargin: number;
  /** ... for segments with at least this many rows (smaller ones are listed, not tested). */
  segmentMinRows: number;
  /** The upper bound of (candidate ECE - Production ECE) must be <= this. */
  eceMargin: number;
  /** invariance_worst_share_shift (0-1) must be <= this when the package reports it. */
  invarianceMaxShift: number;
  /** invariance_worst_accuracy_drop (0-1) must be <= this when the package reports it. */
  invarianceMaxDrop: number;
}

/** A Production version of the last N, for the ratchet: re-scored on the rows, or its recorded metrics. */
export interface HistoryRef {
  version: number;
  /** How reports name it (a package directory outside the registry); absent: `v<version>`. */
  label?: string;
  scored?: Scored;
  /** Metrics recorded by the gate that registered it, on a validation set with the same hash. */
  recorded?: { accuracy: number; macro_f1: number };
  /** Why neither is available. */
  unavailable?: string;
}

export interface GateInput {
  /** True class per row (index into the label order). */
  truth: ArrayLike<number>;
  /** Segment keys per row, e.g. ["source:smsa-valid", "app:com.shopee.id"]. */
  segments: readonly (readonly string[])[];
  candidate: Scored;
  production: { version: number; scored: Scored; label?: string } | null;
  /** The last N Production versions (the current one included), newest promotion first. */
  history: HistoryRef[];
  invariance: { shareShift: number | null; accuracyDrop: number | null };
}

export type Outcome = 'pass' | 'fail' | 'not measured' | 'not tested';

export interface GateCheck {
  /** Stem of the flat metric keys (gate_<id>_estimate, ...). */
  id: string;
  check: string;
  against: string;
  candidate: number | null;
  reference: number | null;
  /** Candidate minus reference (or the measured value for the invariance checks). */
  estimate: number | null;
  /** The one-sided confidence bound the rule reads (null where there is none). */
  bound: number | null;
  /** The rule: `bound >= limit` (or `<=` for ECE and invariance). */
  op: '>=' | '<=' | '>';
  limit: number;
  outcome: Outcome;
  /** The registry version compared with, where there is one. */
  referenceVersion?: number;
  note?: string;
}

export interface GateDecision {
  register: boolean;
  promote: boolean;
  reason: string;
  checks: GateCheck[];
  candidate: RowStats;
  production: RowStats | null;
}

const LABEL: Record<GateMetric, string> = { accuracy: 'accuracy', macro_f1: 'macro-F1', ece: 'ECE' };
const key = (s: string): string => s.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '');

function nonInferiority(id: string, what: string, against: string, iv: Interval, limit: number): GateCheck {
  return {
    id,
    check: what,
    against,
    candidate: iv.candidate,
    reference: iv.reference,
    estimate: iv.estimate,
    bound: iv.lower,
    op: '>=',
    limit,
    outcome: iv.lower >= limit ? 'pass' : 'fail',
  };
}

function productionChecks(input: GateInput, s: GateSettings): GateCheck[] {
  const prod = input.production;
  const all = Array.from(input.truth, (_, i) => i);
  if (!prod) {
    const none = (id: string, check: string): GateCheck => ({
      ...{ id, check, against: 'Production', candidate: null, reference: null, estimate: null, bound: null },
      ...{ op: '>=', limit: -s.margin, outcome: 'not tested', note: 'no Production yet' },
    });
    return [none('macro_f1', 'macro-F1 non-inferiority'), none('accuracy', 'accuracy non-inferiority')];
  }
  const against = `Production ${prod.label ?? `v${prod.version}`}`;
  const iv = pairedBootstrap(input.truth, input.candidate, prod.scored, all, s);
  const referenceVersion = prod.version;
  return [
    { ...nonInferiority('macro_f1', 'macro-F1 non-inferiority', against, iv.macro_f1, -s.margin), referenceVersion },
    { ...nonInferiority('accuracy', 'accuracy non-inferiority', against, iv.accuracy, -s.margin), referenceVersion },
    {
      ...{ id: 'ece', check: 'calibration (ECE) not worse', against, candidate: iv.ece.candidate },
      ...{ reference: iv.ece.reference, estimate: iv.ece.estimate, bound: iv.ece.upper, op: '<=' },
      ...{ limit: s.eceMargin, outcome: iv.ece.upper <= s.eceMargin ? 'pass' : 'fail' },
    },
    ...segmentChecks(input, prod, s),
  ];
}

function segmentChecks(input: GateInput, prod: NonNullable<GateInput['production']>, s: GateSettings): GateCheck[] {
  const rows = new Map<string, number[]>();
  input.segments.forEach((keys, i) => keys.forEach((k) => rows.set(k, [...(rows.get(k) ?? []), i])));
  const out: GateCheck[] = [];
  for (const [segment, idx] of [...rows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const against = `Production ${prod.label ?? `v${prod.version}`}, ${idx.length} rows`;
    if (idx.length < s.segmentMinRows) {
      out.push({
        ...{ id: `segment_${key(segment)}`, check: `segment ${segment}`, against, candidate: null, reference: null },
        ...{ estimate: null, bound: null, op: '>=', limit: -s.segmentMargin, outcome: 'not tested' },
        note: `fewer than ${s.segmentMinRows} rows`,
      });
      continue;
    }
    const iv = pairedBootstrap(input.truth, input.candidate, prod.scored, idx, s);
    for (const m of ['macro_f1', 'accuracy'] as const) {
      const id = `segment_${key(segment)}_${m}`;
      out.push(nonInferiority(id, `segment ${segment} ${LABEL[m]}`, against, iv[m], -s.segmentMargin));
    }
  }
  return out;
}

/** Against the best of the last N Production versions on each metric (re-scored, else recorded). */
function ratchetChecks(input: GateInput, s: GateSettings): GateCheck[] {
  const all = Array.from(input.truth, (_, i) => i);
  const cand = statsOf(input.truth, input.candidate, all);
  const known = input.history.filter((h) => h.scored || h.recorded);
  const missing = input.history.filter((h) => !h.scored && !h.recorded);
  const skipped = missing.length
    ? `; not compared: ${missing.map((h) => `v${h.version} (${h.unavailable})`).join(', ')}`
    : '';
  const out: GateCheck[] = [];
  const boots = new Map<number, Record<GateMetric, Interval>>();
  const boot = (h: HistoryRef): Record<GateMetric, Interval> => {
    if (!boots.has(h.version)) boots.set(h.version, pairedBootstrap(input.truth, input.candidate, h.scored!, all, s));
    return boots.get(h.version)!;
  };
  for (const m of ['macro_f1', 'accuracy'] as const) {
    const id = `ratchet_${m}`;
    const check = `ratchet: ${LABEL[m]}`;
    const value = (h: HistoryRef): number => (h.scored ? statsOf(input.truth, h.scored, all)[m] : h.recorded![m]);
    const best = known.reduce<HistoryRef | null>((b, h) => (!b || value(h) > value(b) ? h : b), null);
    if (!best) {
      const note = input.history.length ? `no comparable version${skipped}` : 'no Production history yet';
      out.push({
        ...{ id, check, against: 'none', candidate: cand[m], reference: null, estimate: null, bound: null },
        ...{ op: '>=', limit: -s.margin, outcome: 'not tested', note },
      });
      continue;
    }
    const against = `${best.label ?? `v${best.version}`} (best of the last ${input.history.length} Production)`;
    if (best.scored) {
      const iv = boot(best)[m];
      const note = `re-scored on the same rows${skipped}`;
      out.push({ ...nonInferiority(id, check, against, iv, -s.margin), referenceVersion: best.version, note });
    } else {
      const est = cand[m] - best.recorded![m];
      out.push({
        ...{ id, check, against, candidate: cand[m], reference: best.recorded![m], estimate: est, bound: null },
        ...{ op: '>=', limit: -s.margin, outcome: est >= -s.margin ? 'pass' : 'fail', referenceVersion: best.version },
        note: `package unavailable: its recorded metrics on the same validation set (point estimate)${skipped}`,
      });
    }
  }
  return out;
}

function invarianceChecks(input: GateInput, s: GateSettings): GateCheck[] {
  const one = (id: string, check: string, value: number | null, limit: number): GateCheck => ({
    ...{ id, check, against: 'bound', candidate: value, reference: null, estimate: value, bound: value },
    ...{ op: '<=', limit },
    outcome: value === null ? 'not measured' : value <= limit ? 'pass' : 'fail',
    ...(value === null ? { note: 'the package reports no invariance metrics' } : {}),
  });
  return [
    one(
      'invariance_share_shift',
      'worst name shift in a label share',
      input.invariance.shareShift,
      s.invarianceMaxShift,
    ),
    one('invariance_accuracy_drop', 'worst name accuracy drop', input.invariance.accuracyDrop, s.invarianceMaxDrop),
  ];
}

const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;

/** One check in a sentence: "macro-F1 non-inferiority vs Production v2: Δ -0.0080, lower bound -0.0112 < -0.005". */
export function describeCheck(c: GateCheck, confidence: number): string {
  const pct = `${Math.round(confidence * 100)} %`;
  if (c.outcome === 'not tested' || c.outcome === 'not measured') return `${c.check}: ${c.outcome} (${c.note ?? ''})`;
  const ok = c.outcome === 'pass';
  const rel = c.op === '>=' ? (ok ? '>=' : '<') : ok ? '<=' : '>';
  if (c.id.startsWith('invariance')) return `${c.check} ${c.estimate!.toFixed(4)} ${rel} ${c.limit}`;
  const bound =
    c.bound === null
      ? `point ${signed(c.estimate!)} ${rel} ${c.limit}`
      : `Δ ${signed(c.estimate!)}, ${pct} ${c.op === '>=' ? 'lower' : 'upper'} bound ` +
        `${signed(c.bound)} ${rel} ${c.limit}`;
  return `${c.check} vs ${c.against}: ${bound}`;
}

function reasonOf(checks: GateCheck[], cand: RowStats, s: GateSettings, register: boolean, promote: boolean): string {
  const acc = cand.accuracy.toFixed(4);
  if (!register) return `not registered: validation accuracy ${acc} < ${s.registerAccuracy}`;
  // A ratchet against the current Production repeats the non-inferiority check: named once.
  const prodVersion = checks.find((c) => c.id === 'macro_f1')?.referenceVersion;
  const repeat = (c: GateCheck): boolean => c.id.startsWith('ratchet') && c.referenceVersion === prodVersion;
  const failed = checks.filter((c) => c.outcome === 'fail' && !repeat(c));
  const unmeasured = checks.filter((c) => c.outcome === 'not measured').map((c) => c.check);
  const tail = unmeasured.length ? `; not measured: ${unmeasured.join(', ')}` : '';
  if (!promote) {
    const floor = cand.accuracy > s.promoteAccuracy ? [] : [`validation accuracy ${acc} is not > ${s.promoteAccuracy}`];
    const why = [...floor, ...failed.map((c) => describeCheck(c, s.confidence))];
    return `stays Staging: ${why.join('; ')}${tail}`;
  }
  const headline = checks
    .filter((c) => ['macro_f1', 'accuracy', 'ratchet_macro_f1'].includes(c.id))
    .map((c) => describeCheck(c, s.confidence));
  const passed = checks.filter((c) => c.outcome === 'pass').length;
  return `promoted: accuracy ${acc} > ${s.promoteAccuracy}; ${headline.join('; ')}; ${passed} checks passed${tail}`;
}

/** Every check, then the decision: registered at the accuracy floor, promoted when no check fails. */
export function decidePromotion(input: GateInput, s: GateSettings): GateDecision {
  if (!(s.margin >= 0 && s.margin <= 0.005)) throw new RangeError(`gate margin ${s.margin} is outside 0..0.005`);
  const all = Array.from(input.truth, (_, i) => i);
  const candidate = statsOf(input.truth, input.candidate, all);
  const production = input.production ? statsOf(input.truth, input.production.scored, all) : null;
  const checks = [...productionChecks(input, s), ...ratchetChecks(input, s), ...invarianceChecks(input, s)];
  const register = candidate.accuracy >= s.registerAccuracy;
  const promote = register && candidate.accuracy > s.promoteAccuracy && checks.every((c) => c.outcome !== 'fail');
  return {
    register,
    promote,
    reason: reasonOf(checks, candidate, s, register, promote),
    checks,
    candidate,
    production,
  };
}

/** The gate as flat metrics (the registry's and ClickHouse's map of doubles). */
export function gateMetrics(d: GateDecision, extra: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = { ...extra };
  for (const m of ['accuracy', 'macro_f1', 'ece'] as const) {
    out[`gate_candidate_${m}`] = d.candidate[m];
    if (d.production) out[`gate_production_${m}`] = d.production[m];
  }
  for (const c of d.checks) {
    if (c.outcome === 'not tested' || c.outcome === 'not measured') continue;
    if (c.estimate !== null) out[`gate_${c.id}_estimate`] = c.estimate;
    if (c.bound !== null) out[`gate_${c.id}_bound`] = c.bound;
    out[`gate_${c.id}_limit`] = c.limit;
    out[`gate_${c.id}_pass`] = c.outcome === 'pass' ? 1 : 0;
    if (c.referenceVersion !== undefined) out[`gate_${c.id}_version`] = c.referenceVersion;
  }
  out.gate_promote = d.promote ? 1 : 0;
  return out;
}
