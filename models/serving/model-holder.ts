// Which model versions the scorer runs. It follows the registry topic (compacted ModelVersionEvents)
// from the beginning: the newest event per version gives that version's stage. When the Production
// (or Staging) version of the followed model changes, the new package is loaded and warmed in the
// background and then swapped in with one assignment, so a batch always runs on one engine and no
// record waits for a load. Rollback is the same path: an older version becomes Production again.
import { fileURLToPath } from 'node:url';
import { InferenceEngine, type EngineOptions } from '../core/engine.js';
import { packageHash } from '../core/package.js';
import type { ModelVersionEvent } from '../../schemas/types.generated.js';
import { refusalReason, verifiedArtifactDir } from './artifact.js';
import type { Logger } from '../../platform/logger.js';
import { counter, type Registry } from '../../platform/metrics.js';
import { RegistryState } from '../../platform/registry/state.js';

/**
 * The version every prediction of the start-up package records: it is no registry version, so it
 * must not look like one (its ulasan.json may say 1, and registry version 1 may be another model;
 * drift references and the scored history are keyed by this string). The package's content hash
 * names it instead.
 */
export function unregisteredVersion(packageDir: string): string {
  return `pkg-${packageHash(packageDir).slice(0, 12)}`;
}

export function artifactPath(uri: string): string {
  return uri.startsWith('file://') ? fileURLToPath(uri) : uri;
}

const WARMUP = ['aplikasinya bagus sekali', 'sering error dan lambat', 'biasa saja'];

/**
 * Closes an engine that was swapped out or dropped, after a grace period: in-flight batches hold their
 * own reference (their snapshot), and closing right away would pull the session from under them.
 */
function retire(old: InferenceEngine): void {
  setTimeout(() => void old.close().catch(() => undefined), 30_000).unref();
}

export interface HolderOptions {
  engine: EngineOptions;
  /** Registry packages load only from inside this directory, and only when their hash matches. */
  artifactRoot: string;
  metrics?: Registry;
}

export class ModelHolder {
  private prod: InferenceEngine;
  private shadow: InferenceEngine | null = null;
  private readonly book = new RegistryState();
  private loading: Promise<void> = Promise.resolve();
  private prodFromRegistry = false;
  private readonly listeners: ((e: { role: 'production' | 'shadow'; version: string | null }) => void)[] = [];

  private readonly refused?: ReturnType<typeof refusedCounter>;

  constructor(
    initial: InferenceEngine,
    readonly modelName: string,
    private readonly options: HolderOptions,
    private readonly logger: Logger,
  ) {
    this.prod = initial;
    if (options.metrics) this.refused = refusedCounter(options.metrics);
  }

  /** Starts on the package in `packageDir` (the operator's own start-up package, not a registry entry). */
  static async start(
    packageDir: string,
    modelName: string,
    options: HolderOptions,
    logger: Logger,
  ): Promise<ModelHolder> {
    const engine = await InferenceEngine.load(packageDir, options.engine);
    engine.pkg.meta.version = unregisteredVersion(packageDir);
    await engine.predict(WARMUP);
    return new ModelHolder(engine, modelName, options, logger);
  }

  /** The engines to use for one batch (taken once per batch: a swap never splits a batch). */
  snapshot(): { production: InferenceEngine; shadow: InferenceEngine | null } {
    return { production: this.prod, shadow: this.shadow };
  }

  onSwap(fn: (e: { role: 'production' | 'shadow'; version: string | null }) => void): void {
    this.listeners.push(fn);
  }

  /** Waits until every load triggered so far has finished (tests and graceful shutdown). */
  settled(): Promise<void> {
    return this.loading;
  }

  /** Feed a registry event; loads happen one after another in the background. */
  observe(e: ModelVersionEvent): void {
    if (e.name !== this.modelName) return;
    this.book.apply(e);
    const prod = this.book.current(this.modelName, 'Production');
    const staging = this.book.current(this.modelName, 'Staging');
    this.loading = this.loading.then(async () => {
      if (prod && !this.serving(prod.version)) await this.swap('production', prod);
      const shadowVersion = this.shadow?.version ?? null;
      if (!staging && shadowVersion !== null) {
        const old = this.shadow;
        this.shadow = null;
        this.emit('shadow', null);
        if (old) retire(old);
      } else if (staging && String(staging.version) !== shadowVersion && !this.serving(staging.version)) {
        await this.swap('shadow', staging);
      }
    });
  }

  /** Whether Production is registry version `version` (the start-up package is none). */
  private serving(version: number): boolean {
    return this.prodFromRegistry && this.prod.version === String(version);
  }

  private emit(role: 'production' | 'shadow', version: string | null): void {
    for (const l of this.listeners) l({ role, version });
  }

  private async swap(role: 'production' | 'shadow', e: ModelVersionEvent): Promise<void> {
    let dir = artifactPath(e.artifact_uri);
    try {
      const t0 = Date.now();
      dir = verifiedArtifactDir(e, this.options.artifactRoot);
      const engine = await InferenceEngine.load(dir, this.options.engine);
      // The registry's version number is the identity every prediction records.
      engine.pkg.meta.version = String(e.version);
      engine.pkg.meta.name = e.name;
      await engine.predict(WARMUP);
      const old = role === 'production' ? this.prod : this.shadow;
      if (role === 'production') {
        this.prod = engine;
        this.prodFromRegistry = true;
      } else this.shadow = engine;
      this.logger.info({ role, version: e.version, dir, ms: Date.now() - t0 }, 'model swapped in');
      this.emit(role, String(e.version));
      if (old) retire(old);
    } catch (err) {
      // A bad package must not stop scoring: keep the current engine and say why.
      const reason = refusalReason(err);
      if (reason) {
        this.refused?.inc({ reason });
        this.logger.error(
          { role, version: e.version, dir, reason, why: (err as Error).message },
          'model artifact refused; keeping the current version',
        );
      } else {
        this.logger.error({ err, role, version: e.version, dir }, 'model load failed; keeping the current version');
      }
    }
  }

  async close(): Promise<void> {
    await this.loading;
    await this.prod.close();
    await this.shadow?.close();
  }
}

function refusedCounter(metrics: Registry) {
  return counter(metrics, {
    name: 'ulasan_model_artifact_refused_total',
    help: 'Registry model packages refused before loading (outside the artifact store or content hash mismatch)',
    labelNames: ['reason'],
  });
}
