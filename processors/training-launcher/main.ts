// Training launcher: RetrainRequests -> one training job at a time -> gates -> registry.
//
// Durability: a request's offset is committed only once its run's `started` TrainingRun event is
// acknowledged. A crash before that redelivers the request; a crash after it leaves a started run
// with no outcome, which the next start marks failed and re-runs once (attempt 2). A re-run first
// checks the registry for a version of the crashed run, so no run registers twice.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync, cpSync } from 'node:fs';
import path from 'node:path';
import type { RetrainRequest, TrainingRun } from '../../schemas/types.generated.js';
import { InferenceEngine } from '../../models/core/engine.js';
import { loadPackage, SENTIMENTS } from '../../models/core/package.js';
import { readManifest } from '../../models/trainer/manifest.js';
import { evaluateRows } from '../../models/trainer/evaluate.js';
import type { Context, Processor } from '../shared/context.js';
import { ModelRegistry, readToEnd } from '../registry/registry.js';
import { artifactPath } from '../scoring/models.js';
import { launcherShape } from './config.js';
import { coalesce, decideGates, launcherDataset, type LabelledText } from './handler.js';
import { confusionSvg, learningCurveSvg, runReportMarkdown } from './report.js';
import { parseConfig } from '../shared/config.js';
import { counter, gauge } from '../shared/metrics.js';

const NAME = 'training-launcher';

function gitSha(): string | null {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const toJsonl = (rows: LabelledText[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export const trainingLauncher: Processor = {
  name: NAME,
  async start(ctx: Context) {
    const cfg = parseConfig(launcherShape, ctx.env);
    const log = ctx.logger.child({ processor: NAME });
    const runsTotal = counter(ctx.metrics, { name: 'ulasan_launcher_runs_total', help: 'Training runs by outcome', labelNames: ['status'] });
    const running = gauge(ctx.metrics, { name: 'ulasan_launcher_running', help: '1 while a training job runs' });
    const registry = await ModelRegistry.open({ kafka: ctx.kafka, serde: ctx.serde, topics: ctx.topics, artifactDir: ctx.config.ULASAN_ARTIFACT_DIR });
    const producer = ctx.kafka.producer();
    await producer.connect();
    const sha = gitSha();

    const emitRun = async (r: TrainingRun): Promise<void> => {
      await producer.send({ topic: ctx.topics.trainingRuns, messages: [{ key: r.run_id, value: await ctx.serde.encode(ctx.topics.trainingRuns, r) }], acks: -1 });
    };
    const notify = async (text: string): Promise<void> => {
      if (!cfg.LAUNCHER_WEBHOOK_URL) return;
      // Slack-compatible incoming-webhook body.
      await fetch(cfg.LAUNCHER_WEBHOOK_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) }).catch((err: unknown) =>
        log.warn({ err }, 'webhook failed'),
      );
    };

    const feedbackRows = async (): Promise<LabelledText[]> => {
      const rows = await ctx.store.query<{ text: string; label: string }>(
        `SELECT r.text AS text, toString(f.true_label) AS label FROM ${ctx.store.database}.feedback AS f FINAL
         INNER JOIN (SELECT review_id, text FROM ${ctx.store.database}.reviews FINAL) AS r ON r.review_id = f.review_id`,
      );
      return rows;
    };

    /** Runs one request to its end; never throws (a failed run is an outcome, not a crash). */
    const runOnce = async (req: RetrainRequest, attempt: number, commit: () => Promise<void>): Promise<void> => {
      const runId = randomUUID();
      const t0 = Date.now();
      const dir = path.join(cfg.LAUNCHER_WORK_DIR, runId);
      mkdirSync(dir, { recursive: true });
      const params: Record<string, string> = {
        request_id: req.request_id,
        reasons: req.reasons.join(','),
        attempt: String(attempt),
        command: cfg.LAUNCHER_COMMAND ?? 'built-in compact trainer',
        job_args: cfg.LAUNCHER_JOB_ARGS,
        manifest: cfg.LAUNCHER_MANIFEST,
        ...(req.details?.train_limit ? { train_limit: req.details.train_limit } : {}),
      };
      const base: TrainingRun = { run_id: runId, request_id: req.request_id, model_name: cfg.LAUNCHER_MODEL_NAME, status: 'started', params, dataset_hash: null, dataset_rows: null, git_sha: sha, metrics: {}, reason: null, model_version: null, event_time: Date.now() };
      await emitRun(base);
      await commit();
      running.set(1);
      let outcome: TrainingRun;
      try {
        const fb = await feedbackRows();
        const limit = req.details?.train_limit ? Number(req.details.train_limit) : undefined;
        const ds = launcherDataset(readManifest(cfg.LAUNCHER_MANIFEST), ctx.config.ULASAN_DATA_DIR, fb, limit);
        const trainFile = path.join(dir, 'train.jsonl');
        const validFile = path.join(dir, 'valid.jsonl');
        writeFileSync(trainFile, toJsonl(ds.train));
        writeFileSync(validFile, toJsonl(ds.valid));
        writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ manifest: cfg.LAUNCHER_MANIFEST, feedback_query: 'feedback FINAL JOIN reviews FINAL ON review_id', feedback_rows: fb.length, train_rows: ds.train.length, valid_rows: ds.valid.length, sha256: ds.hash, sources: ds.sources }, null, 2));
        const outDir = path.join(dir, 'package');
        const code = await launchJob({ trainFile, validFile, outDir, runId, dir });
        if (code !== 0) throw new Error(`training job exited with code ${code} (see ${dir}/job.log)`);

        const pkg = loadPackage(outDir);
        const acc = Number(pkg.meta.metrics.accuracy);
        // The current Production, scored on the very same validation rows.
        const prod = registry.state.production(cfg.LAUNCHER_MODEL_NAME);
        let prodAcc: number | null = null;
        if (prod) {
          // The same evaluation code as the candidate's package metrics (npm run evaluate).
          const engine = await InferenceEngine.load(artifactPath(prod.artifact_uri), { maxBatch: 256 });
          prodAcc = (await evaluateRows(engine, 'validation', ds.valid).finally(() => engine.close())).accuracy;
        }
        const gate = decideGates(acc, prodAcc, { registerAccuracy: cfg.LAUNCHER_GATE_REGISTER, promoteAccuracy: cfg.LAUNCHER_GATE_PROMOTE, promoteMargin: cfg.LAUNCHER_PROMOTE_MARGIN });
        let version: number | null = null;
        if (gate.register) {
          const reg = await registry.register({ name: cfg.LAUNCHER_MODEL_NAME, packageDir: outDir, runId, reason: gate.reason, actor: NAME });
          version = reg.event.version;
          if (gate.promote) {
            await registry.promote(cfg.LAUNCHER_MODEL_NAME, version, gate.reason, NAME);
            await notify(`Ulasan: ${cfg.LAUNCHER_MODEL_NAME} v${version} promoted to Production (${gate.reason}; reasons: ${req.reasons.join(', ')})`);
          }
        }
        const metrics: Record<string, number> = { accuracy: acc, macro_f1: Number(pkg.meta.metrics.macro_f1), ece: Number(pkg.meta.metrics.ece), duration_seconds: (Date.now() - t0) / 1000 };
        // Per-epoch curve and confusion matrix as flat keys, so ClickHouse holds them too.
        const history = (pkg.meta.metrics.history ?? []) as { epoch: number; train_loss: number; dev_macro_f1: number }[][];
        for (const e of history[0] ?? []) {
          const n = String(e.epoch).padStart(2, '0');
          metrics[`epoch_${n}_train_loss`] = e.train_loss;
          metrics[`epoch_${n}_dev_macro_f1`] = e.dev_macro_f1;
        }
        ((pkg.meta.metrics.confusion_matrix ?? []) as number[][]).forEach((row, i) => row.forEach((v, j) => (metrics[`cm_${SENTIMENTS[i]}_${SENTIMENTS[j]}`] = v)));
        if (prodAcc !== null) metrics.production_accuracy_same_valid = prodAcc;
        outcome = { ...base, status: 'succeeded', dataset_hash: ds.hash, dataset_rows: ds.train.length + ds.valid.length, metrics, reason: gate.reason, model_version: version, event_time: Date.now() };
        writeReport(dir, outcome, pkg.meta.metrics, ds.train.length, ds.valid.length);
      } catch (err) {
        outcome = { ...base, status: 'failed', reason: (err as Error).message.slice(0, 1000), event_time: Date.now() };
        await notify(`Ulasan: training run ${runId} for ${cfg.LAUNCHER_MODEL_NAME} failed: ${outcome.reason}`);
        log.error({ err, runId }, 'training run failed');
      }
      // Reports and job logs go next to the artifacts, keyed by run id.
      cpSync(dir, path.join(ctx.config.ULASAN_ARTIFACT_DIR, 'runs', runId), { recursive: true, filter: (src) => !src.endsWith('.jsonl') });
      await emitRun(outcome);
      runsTotal.inc({ status: outcome.status });
      running.set(0);
      log.info({ runId, status: outcome.status, version: outcome.model_version, reason: outcome.reason }, 'training run finished');
    };

    const launchJob = (j: { trainFile: string; validFile: string; outDir: string; runId: string; dir: string }): Promise<number> =>
      new Promise((resolve) => {
        const extra = cfg.LAUNCHER_JOB_ARGS ? cfg.LAUNCHER_JOB_ARGS.split(/\s+/).filter(Boolean) : [];
        const env = { ...process.env, ULASAN_JOB_TRAIN: j.trainFile, ULASAN_JOB_VALID: j.validFile, ULASAN_JOB_OUT: j.outDir, ULASAN_JOB_RUN_ID: j.runId, ULASAN_JOB_NAME: cfg.LAUNCHER_MODEL_NAME };
        const child = cfg.LAUNCHER_COMMAND
          ? spawn('sh', ['-c', `${cfg.LAUNCHER_COMMAND} ${extra.join(' ')}`], { env, stdio: ['ignore', 'pipe', 'pipe'] })
          : spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../../models/trainer/job.ts'), ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        const logFile = path.join(j.dir, 'job.log');
        child.stdout!.on('data', (d: Buffer) => writeFileSync(logFile, d, { flag: 'a' }));
        child.stderr!.on('data', (d: Buffer) => writeFileSync(logFile, d, { flag: 'a' }));
        child.on('error', () => resolve(127));
        child.on('exit', (code) => resolve(code ?? 1));
      });

    const writeReport = (dir: string, run: TrainingRun, metrics: Record<string, unknown>, trainRows: number, validRows: number): void => {
      const history = (metrics.history ?? []) as { epoch: number; train_loss: number; dev_macro_f1: number }[][];
      const confusion = (metrics.confusion_matrix ?? []) as number[][];
      writeFileSync(path.join(dir, 'confusion.svg'), confusionSvg([...SENTIMENTS], confusion));
      writeFileSync(path.join(dir, 'learning-curve.svg'), learningCurveSvg(history));
      writeFileSync(
        path.join(dir, 'report.md'),
        runReportMarkdown({ runId: run.run_id, modelName: run.model_name, status: run.status, reason: run.reason ?? '', params: run.params ?? {}, datasetHash: run.dataset_hash ?? '', trainRows, validRows, gitSha: run.git_sha ?? null, seconds: Number(run.metrics?.duration_seconds ?? 0), metrics, labels: [...SENTIMENTS], confusion, history, modelVersion: run.model_version ?? null }),
      );
    };

    // Recovery: runs that started but never finished were interrupted by a crash.
    const runs = new Map<string, TrainingRun>();
    await readToEnd(ctx.kafka, ctx.topics.trainingRuns, async (v) => {
      const r = (await ctx.serde.decode<TrainingRun>(v, ctx.topics.trainingRuns)).value;
      if (r.model_name !== cfg.LAUNCHER_MODEL_NAME) return;
      const cur = runs.get(r.run_id);
      if (!cur || cur.status === 'started') runs.set(r.run_id, r);
    });
    const queue: { req: RetrainRequest; attempt: number; commit: () => Promise<void> }[] = [];
    for (const r of runs.values()) {
      if (r.status !== 'started') continue;
      const attempt = Number(r.params?.attempt ?? 1);
      const registered = registry.state.versions(cfg.LAUNCHER_MODEL_NAME).find((v) => v.run_id === r.run_id);
      await emitRun({ ...r, status: 'failed', reason: registered ? `launcher crashed after registering version ${registered.version}` : 'launcher crashed during the run', model_version: registered?.version ?? null, event_time: Date.now() });
      runsTotal.inc({ status: 'failed' });
      if (!registered && attempt < 2) {
        const req: RetrainRequest = { request_id: r.request_id ?? r.run_id, model_name: r.model_name, reasons: (r.params?.reasons ?? 'manual').split(',') as RetrainRequest['reasons'], details: { retry_of: r.run_id, ...(r.params?.train_limit ? { train_limit: r.params.train_limit } : {}) }, requested_by: NAME, force: true, requested_at: r.event_time };
        queue.push({ req, attempt: attempt + 1, commit: async () => undefined });
        log.warn({ runId: r.run_id }, 'interrupted run marked failed; re-running once');
      }
    }

    // Requests are queued and coalesced; one job runs at a time.
    let pending: { req: RetrainRequest; commit: () => Promise<void> } | null = null;
    let busy = false;
    let stopping = false;
    const pump = async (): Promise<void> => {
      if (busy || stopping) return;
      busy = true;
      try {
        while (!stopping) {
          let next: { req: RetrainRequest; attempt: number; commit: () => Promise<void> };
          if (queue.length) next = queue.shift()!;
          else if (pending) {
            next = { req: pending.req, attempt: 1, commit: pending.commit };
            pending = null;
          } else break;
          await runOnce(next.req, next.attempt, next.commit);
        }
      } finally {
        busy = false;
      }
    };
    const done = (): Promise<void> => new Promise((r) => setImmediate(r));

    const consumer = ctx.kafka.consumer({ groupId: cfg.LAUNCHER_GROUP });
    await consumer.connect();
    await consumer.subscribe({ topic: ctx.topics.retrain, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        let req: RetrainRequest;
        try {
          req = (await ctx.serde.decode<RetrainRequest>(message.value, ctx.topics.retrain)).value;
        } catch (err) {
          log.warn({ err, offset: message.offset }, 'skipping unreadable retrain request');
          await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
          return;
        }
        if (req.model_name !== cfg.LAUNCHER_MODEL_NAME) return;
        const offset = String(BigInt(message.offset) + 1n);
        // Committing the newest offset covers every coalesced request before it.
        pending = { req: coalesce(pending?.req ?? null, req), commit: () => consumer.commitOffsets([{ topic, partition, offset }]) };
        void pump();
        await done();
      },
    });
    void pump();
    log.info({ model: cfg.LAUNCHER_MODEL_NAME }, 'training launcher consuming retrain requests');
    return {
      healthy: () => true,
      isBusy: () => busy,
      async stop() {
        stopping = true;
        await consumer.disconnect();
        while (busy) await new Promise((r) => setTimeout(r, 200));
        await producer.disconnect();
      },
    };
  },
};

