// The promotion gate on the real stack: the training launcher runs a job of controlled quality
// (test/gate-job.ts: the default package with its neutral logit offset so that its macro-F1 on the
// launcher's validation rows moves by a chosen amount), scores the candidate and Production on the
// same rows, decides, and records the decision with its numbers in the run report, the registry
// history and the status page. Production starts as a deliberately weaker copy of the default
// package (v1), so the unmodified default is "a better candidate".
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken } from '../../gateway/auth.js';
import { readEvaluationSets, readManifest } from '../../models/trainer/manifest.js';
import { runProcessors, type Running } from '../../app/runner.js';
import { ModelRegistry } from '../../platform/registry/registry.js';
import type { TrainingRun } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { writeShiftedPackage, type ShiftPlan } from '../gate-job.js';
import { DATA } from '../unit/models/fixtures.js';
import {
  ROOT,
  freshDir,
  sendRetrainRequest,
  stackAddresses,
  stopAndDeleteTopics,
  trainingRuns,
  uniquePrefix,
  waitFor,
} from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const artifactDir = freshDir('gate-artifacts');
const planFile = path.join(freshDir('gate-plan'), 'plan.json');
const admin = newToken('gate-admin', 'admin');
const MARGIN = 0.005;
const MODEL = 'ulasan-compact';
let running: Running;
let modelDir: string;
let base: string;

const plan = (p: Omit<ShiftPlan, 'from'>): void => writeFileSync(planFile, JSON.stringify({ from: modelDir, ...p }));

/** One retrain through the launcher with the job's plan; resolves with the finished run. */
async function retrain(name: string, p: Omit<ShiftPlan, 'from'>): Promise<TrainingRun> {
  plan(p);
  const id = `${prefix}${name}`;
  // The job ignores the training rows; a small cut keeps the files the launcher writes small.
  await sendRetrainRequest(running.ctx, id, { train_limit: '200' });
  const run = await waitFor(
    async () => (await trainingRuns(running.ctx)).find((r) => r.request_id === id && r.status !== 'started'),
    240_000,
    `run ${name}`,
  );
  expect(run.status, run.reason ?? '').toBe('succeeded');
  console.log(`gate run ${name} (plan ${JSON.stringify(p)}): v${run.model_version}: ${run.reason}`);
  return run;
}

const registry = () =>
  ModelRegistry.open({
    kafka: running.ctx.kafka,
    serde: running.ctx.serde,
    topics: running.ctx.topics,
    artifactDir,
  });

async function api<T>(url: string): Promise<T> {
  const r = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(r.status, url).toBe(200);
  return (url.endsWith('.svg') || url.endsWith('.md') ? await r.text() : await r.json()) as T;
}

beforeAll(async () => {
  modelDir = await ensureDefaultModel();
  // v1: the default package made 0.02 worse on macro-F1 on the launcher's own validation rows.
  const rows = readEvaluationSets(readManifest(path.join(ROOT, 'models/manifests/default.json')), DATA).flatMap((s) =>
    s.rows.map((r) => ({ text: r.text, label: r.label! })),
  );
  const weaker = freshDir('gate-weaker');
  const made = await writeShiftedPackage({ from: modelDir, macro_f1_delta: -0.02 }, rows, weaker, 'gate-weaker');
  expect(made.delta).toBeCloseTo(-0.02, 2);
  running = await runProcessors(
    ['registry-mirror', 'training-launcher', 'gateway'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      ULASAN_TOPIC_PREFIX: prefix,
      ULASAN_ARTIFACT_DIR: artifactDir,
      CHDB_PATH: freshDir('gate'),
      REGISTRY_MIRROR_GROUP: `${prefix}mirror`,
      LAUNCHER_GROUP: `${prefix}launcher`,
      LAUNCHER_WORK_DIR: freshDir('gate-runs'),
      LAUNCHER_BOOTSTRAP_MODEL_DIR: weaker,
      LAUNCHER_COMMAND: `${process.execPath} --import tsx ${path.join(ROOT, 'test/gate-job.ts')} --plan ${planFile}`,
      LAUNCHER_PROMOTE_MARGIN: String(MARGIN),
      GATEWAY_PORT: '0',
      GATEWAY_TOKENS: admin.entry,
      LOG_LEVEL: 'warn',
    },
    { opsServer: false },
  );
  base = `http://127.0.0.1:${running.handles.gateway!.port as number}`;
}, 300_000);

afterAll(async () => {
  await stopAndDeleteTopics(running);
});

const m = (run: TrainingRun, key: string): number => run.metrics![key]!;

describe('promotion gate', () => {
  let better: TrainingRun;
  let worse: TrainingRun;

  it('promotes a better candidate, with every check and its numbers in the reason', { timeout: 300_000 }, async () => {
    better = await retrain('better', { macro_f1_delta: 0 });
    expect(better.model_version).toBe(2);
    expect(better.reason).toMatch(
      /^promoted: accuracy 0\.\d{4} > 0\.8; macro-F1 non-inferiority vs Production v1: Δ \+0\.0/,
    );
    expect(m(better, 'gate_macro_f1_estimate')).toBeCloseTo(0.02, 2);
    expect(m(better, 'gate_macro_f1_bound')).toBeGreaterThan(0);
    expect(m(better, 'gate_promote')).toBe(1);
    const reg = await registry();
    expect(reg.state.production(MODEL)?.version).toBe(2);
  });

  it(
    'keeps a candidate 0.008 worse on macro-F1 on the same rows in Staging, with the reason',
    { timeout: 300_000 },
    async () => {
      worse = await retrain('worse-0.008', { macro_f1_delta: -0.008 });
      const delta = m(worse, 'gate_macro_f1_estimate');
      expect(delta).toBeLessThan(-0.007);
      expect(delta).toBeGreaterThan(-0.009);
      expect(m(worse, 'gate_macro_f1_bound')).toBeLessThan(-MARGIN);
      expect(m(worse, 'gate_macro_f1_pass')).toBe(0);
      expect(worse.reason).toMatch(
        /^stays Staging: macro-F1 non-inferiority vs Production v2: Δ -0\.00\d\d, 95 % lower bound -0\.0\d{3} < -0\.005/,
      );
      const reg = await registry();
      const v = reg.state.version(MODEL, worse.model_version!)!;
      expect(v.stage).toBe('Staging');
      expect(v.reason).toBe(worse.reason);
      expect(v.metrics!.gate_macro_f1_estimate).toBe(delta);
      expect(reg.state.production(MODEL)?.version).toBe(2);
    },
  );

  it(
    'never lets five successive candidates, each 0.004 worse, take Production below the best of the last versions minus the margin',
    { timeout: 900_000 },
    async () => {
      const best = m(better, 'gate_candidate_macro_f1');
      for (let k = 1; k <= 5; k++) {
        const run = await retrain(`step-${k}`, { macro_f1_delta: -0.004 * k });
        // Measured by the gate itself, against Production v2 on the same rows.
        expect(m(run, 'gate_macro_f1_estimate')).toBeCloseTo(-0.004 * k, 2);
        const reg = await registry();
        const prod = reg.state.production(MODEL)!;
        const prodF1 = prod.version === 2 ? best : prod.metrics!.gate_candidate_macro_f1!;
        expect(prodF1).toBeGreaterThanOrEqual(best - MARGIN);
        expect(run.reason).toMatch(/^stays Staging: /);
        expect(prod.version).toBe(2);
      }
    },
  );

  it(
    'holds a candidate that passes against a weaker Production to the best of the last Production versions',
    { timeout: 300_000 },
    async () => {
      // An admin promotes the 0.004-worse candidate by hand (the gate did not): the ratchet now decides.
      const step1 = (await trainingRuns(running.ctx)).find(
        (r) => r.request_id === `${prefix}step-1` && r.model_version,
      )!;
      const reg = await registry();
      await reg.promote(MODEL, step1.model_version!, 'manual: test of the ratchet', 'gate-test');
      const run = await retrain('after-manual', { macro_f1_delta: -0.0045 });
      expect(m(run, 'gate_ratchet_macro_f1_version')).toBe(2);
      expect(m(run, 'gate_ratchet_macro_f1_pass')).toBe(0);
      expect(run.reason).toMatch(
        /^stays Staging: .*ratchet: macro-F1 vs v2 \(best of the last 3 Production\): Δ -0\.00\d\d/,
      );
      console.log(`after a manual promotion: ${run.reason}`);
      const after = await registry();
      expect(after.state.production(MODEL)?.version).toBe(step1.model_version);
    },
  );

  it(
    'puts the decision and its numbers in the run report, the registry history and the status page',
    { timeout: 180_000 },
    async () => {
      for (const run of [better, worse]) {
        const report = readFileSync(path.join(artifactDir, 'runs', run.run_id, 'report.md'), 'utf8');
        expect(report).toContain('## Promotion gate');
        const f1 = m(run, 'gate_macro_f1_estimate');
        const sign = f1 >= 0 ? '\\+' : '';
        expect(report).toMatch(
          new RegExp(
            `\\| macro-F1 non-inferiority \\| Production v\\d \\| 0\\.\\d{4} \\| 0\\.\\d{4} \\| ${sign}${f1.toFixed(4).replace('.', '\\.')} \\|`,
          ),
        );
        expect(report).toMatch(/\| ratchet: macro-F1 \| v\d \(best of the last \d Production\) \|/);
        expect(report).toMatch(/\| worst name shift in a label share \| bound \|.*\| not measured/);
        const rows = readFileSync(path.join(artifactDir, 'runs', run.run_id, 'gate-rows.csv'), 'utf8')
          .trim()
          .split('\n');
        expect(rows[0]).toMatch(
          /^row,source,label,candidate_negative,candidate_neutral,candidate_positive,v\d_negative/,
        );
        expect(rows).toHaveLength(1 + m(run, 'gate_valid_rows'));
      }
      // Registry history, as ClickHouse mirrors it and the status page reads it.
      type Panel = {
        versions: {
          version: number;
          history: { stage: string; reason: string }[];
          reports: string[];
          run_id: string;
          metrics: Record<string, number>;
        }[];
      };
      const panel = await waitFor(
        async () => {
          const p = await api<Panel>('/dashboard/versions');
          return p.versions.some((v) => v.version === worse.model_version) && p;
        },
        60_000,
        'versions on the status page',
      );
      const v2 = panel.versions.find((v) => v.version === 2)!;
      expect(v2.history.find((h) => h.stage === 'Production')!.reason).toBe(better.reason);
      expect(v2.metrics.gate_macro_f1_bound).toBeCloseTo(m(better, 'gate_macro_f1_bound'), 10);
      const staged = panel.versions.find((v) => v.version === worse.model_version)!;
      expect(staged.history.map((h) => h.reason)).toContain(worse.reason);
      expect(staged.reports).toContain('gate.svg');
      const svg = await api<string>(`/runs/${worse.run_id}/gate.svg`);
      expect(svg).toContain('macro-F1 non-inferiority');
      expect(svg).toContain(m(worse, 'gate_macro_f1_estimate').toFixed(4));
      // And in a browser: the versions panel shows the reason and the gate table image.
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        await page.goto(`${base}/`);
        await page.evaluate(`sessionStorage.setItem('ulasan-token', ${JSON.stringify(admin.token)})`);
        await page.reload();
        await page.waitForFunction("Number(document.getElementById('versions')?.dataset.count ?? 0) > 0", undefined, {
          timeout: 30_000,
        });
        await page.waitForSelector('#versions img[alt="gate.svg"]', { timeout: 30_000 });
        expect(await page.textContent('#versions')).toContain(worse.reason!.slice(0, 80));
        mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
        await page.screenshot({ path: path.join(ROOT, 'test-artifacts', 'gate-status-page.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    },
  );
});
