// References that match the traffic: per window size and segment (an app, or 'all'), the first
// `periodMs` of event time scored by a Production model version is captured as that segment's
// reference, and later windows are tested against it. When the model version changes (a promotion),
// capture starts again: the reference moves with the model, so an alarm raised against the old
// model clears once the retrained one is in. Pure; the processor persists `changed()` entries to
// ClickHouse `drift_references` and loads them back at start.
import { referenceFromSummary, type ReferenceProfile } from './detector.js';
import { FeatureSummary, type SerializedSummary } from './summary.js';

export interface SegmentReference {
  windowSize: string;
  segment: string;
  modelVersion: string;
  /** Event time the capture began and ends (exclusive). */
  start: number;
  end: number;
  summary: FeatureSummary;
}

/** What a window was compared with, as stored with its verdict and shown on the API. */
export interface ReferenceInfo {
  /** window: a captured period of the segment's own traffic; model: the scoring model's package. */
  origin: 'window' | 'model';
  modelVersion: string;
  /** The captured period (event time; 0 for a model reference). */
  start: number;
  end: number;
  rows: number;
  /** For a model reference: the package's evaluation sets it pools. */
  sources: string[];
}

/** reference: the window is part of a capture; test: compared with `profile`; none: no reference to use. */
export type WindowRole =
  | { role: 'reference' | 'none'; reference: ReferenceInfo }
  | { role: 'test'; reference: ReferenceInfo; profile: ReferenceProfile };

/** Where each segment's windows get their reference (window captures, or the model package's profile). */
export interface ReferenceBook {
  observe(
    windowSize: string,
    segment: string,
    version: string,
    win: { start: number; summary: FeatureSummary },
  ): WindowRole;
  changed(now: number): (ReferenceRow & { updated_at: number })[];
}

export type ReferenceRow = {
  window_size: string;
  segment: string;
  model_version: string;
  start_ms: number | string;
  end_ms: number | string;
  rows: number | string;
  summary: string;
};

export class SegmentReferences implements ReferenceBook {
  private readonly refs = new Map<string, SegmentReference>();
  private readonly profiles = new WeakMap<SegmentReference, { rows: number; profile: ReferenceProfile }>();
  private readonly dirty = new Set<SegmentReference>();

  constructor(private readonly periodMs: number) {}

  private key(windowSize: string, segment: string): string {
    return `${windowSize}\u0000${segment}`;
  }

  /** Where a closed window of a segment stands: part of the reference being captured, or tested against it. */
  observe(
    windowSize: string,
    segment: string,
    version: string,
    win: { start: number; summary: FeatureSummary },
  ): WindowRole {
    const k = this.key(windowSize, segment);
    let ref = this.refs.get(k);
    if (!ref || (version && ref.modelVersion !== version)) {
      ref = {
        windowSize,
        segment,
        modelVersion: version,
        start: win.start,
        end: win.start + this.periodMs,
        summary: new FeatureSummary(),
      };
      this.refs.set(k, ref);
    }
    if (win.start < ref.end) {
      ref.summary.merge(win.summary);
      this.dirty.add(ref);
      return { role: 'reference', reference: info(ref) };
    }
    return { role: 'test', reference: info(ref), profile: this.profile(ref) };
  }

  private profile(ref: SegmentReference): ReferenceProfile {
    const cached = this.profiles.get(ref);
    if (cached && cached.rows === ref.summary.rows) return cached.profile;
    const profile = referenceFromSummary(ref.summary);
    this.profiles.set(ref, { rows: ref.summary.rows, profile });
    return profile;
  }

  changed(now: number): (ReferenceRow & { updated_at: number })[] {
    const rows = [...this.dirty].map((r) => ({ ...toRow(r), updated_at: now }));
    this.dirty.clear();
    return rows;
  }

  /** Restores stored references: per window size and segment, the newest capture wins. */
  load(rows: ReferenceRow[]): void {
    for (const row of rows) {
      const ref: SegmentReference = {
        windowSize: row.window_size,
        segment: row.segment,
        modelVersion: row.model_version,
        start: Number(row.start_ms),
        end: Number(row.end_ms),
        summary: FeatureSummary.fromJSON(JSON.parse(row.summary) as SerializedSummary),
      };
      const k = this.key(ref.windowSize, ref.segment);
      const cur = this.refs.get(k);
      if (!cur || cur.start <= ref.start) this.refs.set(k, ref);
    }
  }

  size(): number {
    return this.refs.size;
  }
}

function info(r: SegmentReference): ReferenceInfo {
  return {
    origin: 'window',
    modelVersion: r.modelVersion,
    start: r.start,
    end: r.end,
    rows: r.summary.rows,
    sources: [],
  };
}

function toRow(r: SegmentReference): ReferenceRow {
  return {
    window_size: r.windowSize,
    segment: r.segment,
    model_version: r.modelVersion,
    start_ms: r.start,
    end_ms: r.end,
    rows: r.summary.rows,
    summary: JSON.stringify(r.summary.toJSON()),
  };
}
