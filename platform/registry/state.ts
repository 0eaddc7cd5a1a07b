// The model registry's state, rebuilt from ModelVersionEvents (the compacted registry topic keeps
// the newest event per name/version/stage). Pure: no I/O.
import type { ModelStage, ModelVersionEvent } from '../../schemas/types.generated.js';

export class RegistryState {
  private readonly events: ModelVersionEvent[] = [];
  private readonly seen = new Set<string>();

  /** Adds an event; false when it was already applied (a re-read, or our own write read back). */
  apply(e: ModelVersionEvent): boolean {
    const key = `${e.name}\u0000${e.version}\u0000${e.stage}\u0000${e.timestamp}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.events.push(e);
    return true;
  }

  size(): number {
    return this.events.length;
  }

  /** Every event, in the order applied. */
  all(): readonly ModelVersionEvent[] {
    return this.events;
  }

  /** Every known version of a model with its current (newest) event. */
  versions(name: string): ModelVersionEvent[] {
    const latest = new Map<number, ModelVersionEvent>();
    for (const e of this.events) {
      if (e.name !== name) continue;
      const cur = latest.get(e.version);
      if (!cur || e.timestamp >= cur.timestamp) latest.set(e.version, e);
    }
    return [...latest.values()].sort((a, b) => a.version - b.version);
  }

  names(): string[] {
    return [...new Set(this.events.map((e) => e.name))].sort();
  }

  version(name: string, version: number): ModelVersionEvent | undefined {
    return this.versions(name).find((v) => v.version === version);
  }

  inStage(name: string, stage: ModelStage): ModelVersionEvent[] {
    return this.versions(name).filter((v) => v.stage === stage);
  }

  production(name: string): ModelVersionEvent | undefined {
    return this.current(name, 'Production') ?? undefined;
  }

  /** The version most recently moved into `stage`, if any version is in it now. */
  current(name: string, stage: ModelStage): ModelVersionEvent | null {
    return this.inStage(name, stage).sort((a, b) => b.timestamp - a.timestamp)[0] ?? null;
  }

  nextVersion(name: string): number {
    return Math.max(0, ...this.events.filter((e) => e.name === name).map((e) => e.version)) + 1;
  }

  findByHash(name: string, contentHash: string): ModelVersionEvent | undefined {
    return this.versions(name).find((v) => v.content_hash === contentHash);
  }

  /** The version that was Production just before the current one (what a rollback restores). */
  previousProduction(name: string): ModelVersionEvent | undefined {
    const current = this.production(name);
    const promotions = this.events
      .filter(
        (e) =>
          e.name === name &&
          e.stage === 'Production' &&
          (!current || e.version !== current.version) &&
          (!current || e.timestamp <= current.timestamp),
      )
      .sort((a, b) => b.timestamp - a.timestamp);
    const prev = promotions[0];
    return prev ? this.version(name, prev.version) : undefined;
  }

  /** Stage history of one version, oldest first. */
  history(name: string, version?: number): ModelVersionEvent[] {
    return this.events
      .filter((e) => e.name === name && (version === undefined || e.version === version))
      .sort((a, b) => a.timestamp - b.timestamp);
  }
}
