// DRIFT_REFERENCE=model: every segment's windows are compared with the drift reference of the
// model that scored them, the profile of its held-out evaluation sets that training stored in the
// package (models/features/monitored.ts). The reference therefore moves with each promotion and
// needs no data directory at run time. Pure: the package is read through the injected loader.
import { poolProfiles, type PackageDriftReference } from '../../models/features/monitored.js';
import { withEdges, type ReferenceProfile } from './detector.js';
import type { ReferenceBook, ReferenceInfo, WindowRole } from './references.js';

/** A version's package reference, or why there is none (a package without one, a refused artifact...). */
export type ReferenceLoader = (version: string) => PackageDriftReference | { missing: string };

interface Entry {
  profile: ReferenceProfile;
  sources: string[];
}

export class ModelReferences implements ReferenceBook {
  private readonly entries = new Map<string, Entry>();
  /** Versions without a usable reference, and when to look again (a promotion may not be followed yet). */
  private readonly missing = new Map<string, number>();

  /**
   * @param sources the package's evaluation sets to pool; empty: all of them.
   * @param onMissing told once per look that found no reference for a version.
   */
  constructor(
    private readonly load: ReferenceLoader,
    private readonly sources: string[],
    private readonly onMissing: (version: string, why: string) => void,
    private readonly retryMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  observe(_windowSize: string, _segment: string, version: string): WindowRole {
    const entry = this.entry(version);
    const reference: ReferenceInfo = {
      origin: 'model',
      modelVersion: version,
      start: 0,
      end: 0,
      rows: entry?.profile.rows ?? 0,
      sources: entry?.sources ?? [],
    };
    return entry ? { role: 'test', reference, profile: entry.profile } : { role: 'none', reference };
  }

  changed(): [] {
    return [];
  }

  private entry(version: string): Entry | null {
    const known = this.entries.get(version);
    if (known) return known;
    if ((this.missing.get(version) ?? -Infinity) > this.clock()) return null;
    const loaded = this.load(version);
    const entry = 'missing' in loaded ? loaded.missing : this.select(loaded);
    if (typeof entry === 'string') {
      this.missing.set(version, this.clock() + this.retryMs);
      this.onMissing(version, entry);
      return null;
    }
    this.entries.set(version, entry);
    return entry;
  }

  private select(ref: PackageDriftReference): Entry | string {
    const available = Object.keys(ref.sources);
    const chosen = this.sources.length ? this.sources.filter((s) => s in ref.sources) : available;
    if (!chosen.length) {
      const has = available.join(', ') || 'no sources';
      return `the package's drift reference has ${has}, not ${this.sources.join(', ')}`;
    }
    return { profile: withEdges(poolProfiles(chosen.map((s) => ref.sources[s]!))), sources: chosen };
  }
}
