// The model registry. Source of truth: the compacted registry topic of ModelVersionEvents (keyed
// name/version/stage, so compaction keeps each version's newest entry into every stage); ClickHouse
// mirrors the full history (registry-mirror processor). Artifacts live in a directory keyed by the
// package's content hash. One writer at a time (the training launcher, or an admin's CLI).
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageHash } from '../hash.js';
import type { ModelStage, ModelVersionEvent } from '../../schemas/types.generated.js';
import { UlasanError } from '../errors.js';
import type { KafkaClient } from '../kafka/kafka.js';
import type { AvroSerde } from '../serde/serde.js';
import type { TopicNames } from '../kafka/topics.js';
import { RegistryState } from './state.js';
import { readToEnd } from '../kafka/read-to-end.js';

export { readToEnd };

/**
 * What the registry needs of the process's followed state (`RegistryFollower` is one): declared here so
 * the registry does not depend on the follower that depends on it.
 */
export interface FollowedState {
  readonly state: RegistryState;
  sync(): Promise<void>;
  apply(event: ModelVersionEvent): void;
}

export interface RegistryDeps {
  kafka: KafkaClient;
  serde: AvroSerde;
  topics: TopicNames;
  artifactDir: string;
  /** The process's followed state; without one (CLIs) the topic is read to its end on refresh. */
  follower?: FollowedState;
}

/**
 * The metrics a package's ulasan.json records. The registry reads only this part of a package (the
 * model layer reads the rest), so it refuses a directory with no model.onnx, as loading it would.
 */
export function packageMetrics(dir: string): Record<string, unknown> {
  if (!existsSync(path.join(dir, 'model.onnx'))) {
    throw new UlasanError('MODEL_LOAD_FAILED', `no model.onnx in ${path.resolve(dir)}`);
  }
  const meta = path.join(dir, 'ulasan.json');
  if (!existsSync(meta)) return {};
  const parsed = JSON.parse(readFileSync(meta, 'utf8')) as { metrics?: Record<string, unknown> };
  return parsed.metrics ?? {};
}

/** Flattens package metrics into the registry's map<double>. */
export function flatMetrics(metrics: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ['accuracy', 'macro_f1', 'ece', 'dev_macro_f1', 'n', 'train_rows', 'eval_rows'])
    if (typeof metrics[k] === 'number') out[k] = metrics[k] as number;
  const per = metrics.per_class as Record<string, { f1?: number; precision?: number; recall?: number }> | undefined;
  for (const [label, m] of Object.entries(per ?? {})) {
    for (const f of ['precision', 'recall', 'f1'] as const) if (typeof m[f] === 'number') out[`${label}_${f}`] = m[f]!;
  }
  return out;
}

export class ModelRegistry {
  private current = new RegistryState();

  get state(): RegistryState {
    return this.deps.follower?.state ?? this.current;
  }

  private constructor(private readonly deps: RegistryDeps) {}

  static async open(deps: RegistryDeps): Promise<ModelRegistry> {
    const r = new ModelRegistry(deps);
    await r.refresh();
    return r;
  }

  /** Re-reads the topic (another writer may have moved stages since). */
  async refresh(): Promise<void> {
    if (this.deps.follower) return this.deps.follower.sync();
    const fresh = new RegistryState();
    await readToEnd(this.deps.kafka, this.deps.topics.registry, async (v) => {
      fresh.apply((await this.deps.serde.decode<ModelVersionEvent>(v, this.deps.topics.registry)).value);
    });
    this.current = fresh;
  }

  private async emit(events: ModelVersionEvent[]): Promise<void> {
    const producer = this.deps.kafka.producer();
    await producer.connect();
    try {
      const messages = await Promise.all(
        events.map(async (e) => ({
          key: `${e.name}/${e.version}/${e.stage}`,
          value: await this.deps.serde.encode(this.deps.topics.registry, e),
        })),
      );
      await producer.send({ topic: this.deps.topics.registry, messages, acks: -1 });
    } finally {
      await producer.disconnect();
    }
    for (const e of events) {
      if (this.deps.follower) this.deps.follower.apply(e);
      else this.current.apply(e);
    }
  }

  private event(
    base: ModelVersionEvent,
    stage: ModelStage,
    reason: string,
    actor: string,
    at: number,
  ): ModelVersionEvent {
    return { ...base, stage, reason, actor, timestamp: at };
  }

  private require(name: string, version: number): ModelVersionEvent {
    const v = this.state.version(name, version);
    if (!v) throw new UlasanError('DATA_NOT_FOUND', `model ${name} has no version ${version}`);
    return v;
  }

  /**
   * Copies the package into the artifact store (keyed by content hash) and registers it as a new
   * version. The same content registered twice returns the existing version (no duplicates).
   */
  async register(input: {
    name: string;
    packageDir: string;
    runId: string | null;
    reason: string;
    actor: string;
    stage?: 'Staging' | 'None';
    /** Recorded with the package's own metrics (the launcher's promotion gate numbers). */
    metrics?: Record<string, number>;
  }): Promise<{ event: ModelVersionEvent; created: boolean }> {
    const metrics = packageMetrics(input.packageDir);
    const hash = packageHash(input.packageDir);
    const existing = this.state.findByHash(input.name, hash);
    if (existing) return { event: existing, created: false };
    const dest = path.join(this.deps.artifactDir, hash);
    if (!existsSync(path.join(dest, 'model.onnx'))) {
      mkdirSync(this.deps.artifactDir, { recursive: true });
      cpSync(input.packageDir, dest, { recursive: true });
    }
    const e: ModelVersionEvent = {
      name: input.name,
      version: this.state.nextVersion(input.name),
      stage: input.stage ?? 'Staging',
      metrics: { ...flatMetrics(metrics), ...input.metrics },
      artifact_uri: pathToFileURL(dest).href,
      content_hash: hash,
      run_id: input.runId,
      reason: input.reason,
      actor: input.actor,
      timestamp: Date.now(),
    };
    await this.emit([e]);
    return { event: e, created: true };
  }

  async transition(
    name: string,
    version: number,
    stage: ModelStage,
    reason: string,
    actor: string,
  ): Promise<ModelVersionEvent> {
    if (stage === 'Production') return (await this.promote(name, version, reason, actor)).at(-1)!;
    const e = this.event(this.require(name, version), stage, reason, actor, Date.now());
    await this.emit([e]);
    return e;
  }

  /** Makes `version` Production and archives the Production it replaces, in one send. */
  async promote(name: string, version: number, reason: string, actor: string): Promise<ModelVersionEvent[]> {
    const target = this.require(name, version);
    const now = Date.now();
    const events: ModelVersionEvent[] = [];
    const current = this.state.production(name);
    if (current && current.version !== version)
      events.push(this.event(current, 'Archived', `replaced by version ${version}`, actor, now));
    events.push(this.event(target, 'Production', reason, actor, now + 1));
    await this.emit(events);
    return events;
  }

  /** One step back: the previous Production becomes Production again. */
  async rollback(name: string, reason: string, actor: string): Promise<ModelVersionEvent[]> {
    const prev = this.state.previousProduction(name);
    if (!prev)
      throw new UlasanError('DATA_NOT_FOUND', `model ${name} has no earlier Production version to roll back to`);
    return this.promote(name, prev.version, `rollback: ${reason}`, actor);
  }

  async archive(name: string, version: number, reason: string, actor: string): Promise<ModelVersionEvent> {
    return this.transition(name, version, 'Archived', reason, actor);
  }

  /** Metrics side by side and both confusion matrices (from the stored packages). */
  compare(
    name: string,
    a: number,
    b: number,
  ): {
    versions: [ModelVersionEvent, ModelVersionEvent];
    metrics: Record<string, [number | null, number | null]>;
    confusion: [unknown, unknown];
  } {
    const va = this.require(name, a);
    const vb = this.require(name, b);
    const keys = [...new Set([...Object.keys(va.metrics ?? {}), ...Object.keys(vb.metrics ?? {})])].sort();
    const confusion = (v: ModelVersionEvent): unknown => {
      try {
        return packageMetrics(new URL(v.artifact_uri).pathname).confusion_matrix ?? null;
      } catch {
        return null;
      }
    };
    return {
      versions: [va, vb],
      metrics: Object.fromEntries(keys.map((k) => [k, [va.metrics?.[k] ?? null, vb.metrics?.[k] ?? null]])),
      confusion: [confusion(va), confusion(vb)],
    };
  }
}
