import { describe, expect, it } from 'vitest';
import { parseTeacherRef, manualRetrainRequest } from '../../../processors/kit/retrain.js';
import {
  coalesce,
  decideDistillGates,
  proportionalSample,
  retryOf,
} from '../../../processors/training-launcher/handler.js';
import { confusionSvg, learningCurveSvg, runReportMarkdown } from '../../../processors/training-launcher/report.js';
import type { RetrainRequest } from '../../../schemas/types.generated.js';

// The promotion gate itself (bootstrap, checks, ratchet) is tested in launcher-gate.test.ts.
describe('distillation gates: the student against its teacher, then the promotion gate', () => {
  const g = { minAgreement: 0.9, margin: 0.03 };
  const promoted = { register: true, promote: true, reason: 'promoted: accuracy 0.8800 > 0.8' };
  const staging = { register: true, promote: false, reason: 'stays Staging: macro-F1 non-inferiority failed' };
  it('refuses a student that agrees with its teacher too rarely', () => {
    const d = decideDistillGates({ accuracy: 0.9, agreement: 0.85 }, 0.91, promoted, g);
    expect(d).toMatchObject({ register: false, promote: false });
    expect(d.reason).toMatch(/agrees with its teacher on 0.8500 .* < 0.9/);
  });
  it('refuses a student less accurate than its teacher by more than the margin', () => {
    const d = decideDistillGates({ accuracy: 0.86, agreement: 0.95 }, 0.9, promoted, g);
    expect(d.register).toBe(false);
    expect(d.reason).toMatch(/below the teacher's 0.9000 by more than 0.03/);
  });
  it('refuses a job that reported no agreement (an external job that ignored the teacher)', () =>
    expect(decideDistillGates({ accuracy: 0.9, agreement: null }, null, promoted, g).reason).toMatch(/no agreement/));
  it("then takes the promotion gate's decision and says how the student compares", () => {
    const d = decideDistillGates({ accuracy: 0.88, agreement: 0.96 }, 0.9, promoted, g);
    expect(d).toMatchObject({ register: true, promote: true });
    expect(d.reason).toMatch(/^promoted: .*; agreement with teacher 0.9600, teacher accuracy 0.9000$/);
    const held = decideDistillGates({ accuracy: 0.88, agreement: 0.96 }, 0.9, staging, g);
    expect(held).toMatchObject({ register: true, promote: false });
    expect(held.reason).toMatch(/^stays Staging: .*; agreement with teacher 0.9600/);
  });
});

describe('distillation requests', () => {
  it('parses teacher references', () => {
    expect(parseTeacherRef('indobert@3')).toEqual({ model: 'indobert', version: 3 });
    expect(parseTeacherRef('indobert')).toEqual({ model: 'indobert', stage: 'Production' });
    expect(parseTeacherRef('indobert@Staging')).toEqual({ model: 'indobert', stage: 'Staging' });
    expect(() => parseTeacherRef('../etc@1')).toThrow(/expected <model>/);
  });
  it('puts the teacher on a manual request, and a retry keeps it', () => {
    const req = manualRetrainRequest({ modelName: 'm', requestedBy: 't', teacher: 'bert@2', unlabeledRows: 5000 });
    expect(req.details).toMatchObject({ job: 'distill', teacher: 'bert@2', unlabeled_rows: '5000' });
    expect(() => manualRetrainRequest({ modelName: 'm', requestedBy: 't', teacher: 'no way' })).toThrow();
    expect(() =>
      manualRetrainRequest({ modelName: 'm', requestedBy: 't', teacher: 'b@1', unlabeledRows: NaN }),
    ).toThrow(/positive integer/);
    const retry = retryOf(
      {
        run_id: 'r1',
        request_id: req.request_id,
        model_name: 'm',
        status: 'failed',
        params: { attempt: '1', reasons: 'manual', job: 'distill', teacher: 'bert@2', unlabeled_rows: '5000' },
        dataset_hash: null,
        dataset_rows: null,
        git_sha: null,
        metrics: {},
        reason: 'killed',
        model_version: null,
        event_time: 1,
      },
      null,
      'launcher',
    );
    expect(retry?.req.details).toMatchObject({ job: 'distill', teacher: 'bert@2', unlabeled_rows: '5000' });
  });
});

describe('train_limit: a sample of every source in its proportion', () => {
  // 600 rows of "a", 300 of "b", 100 of "c", in file order: a cut of the first rows would be all "a".
  const rows = [...Array(1000).keys()].map((i) => ({ id: i, source: i < 600 ? 'a' : i < 900 ? 'b' : 'c' }));
  const share = (picked: { source: string }[], s: string) => picked.filter((r) => r.source === s).length;
  it('keeps each source in proportion, exactly `limit` rows, in file order', () => {
    const picked = proportionalSample(rows, 101);
    expect(picked).toHaveLength(101);
    // 60.6, 30.3, 10.1: the largest remainder gives the spare row to "a".
    expect([share(picked, 'a'), share(picked, 'b'), share(picked, 'c')]).toEqual([61, 30, 10]);
    expect(picked.map((r) => r.id)).toEqual([...picked.map((r) => r.id)].sort((x, y) => x - y));
    expect(new Set(picked.map((r) => r.id)).size).toBe(101);
  });
  it('draws within a source (not its first rows), the same draw every time', () => {
    const picked = proportionalSample(rows, 100);
    expect(Math.max(...picked.filter((r) => r.source === 'a').map((r) => r.id))).toBeGreaterThan(300);
    expect(proportionalSample(rows, 100)).toEqual(picked);
  });
  it('keeps every row when the limit is not below the row count, and none for 0', () => {
    expect(proportionalSample(rows, 5000)).toEqual(rows);
    expect(proportionalSample(rows, 0)).toEqual([]);
  });
});

describe('coalesce', () => {
  const req = (id: string, reasons: RetrainRequest['reasons']): RetrainRequest => ({
    request_id: id,
    model_name: 'm',
    reasons,
    details: {},
    requested_by: 't',
    force: false,
    requested_at: Number(id.slice(1)),
  });
  it('merges reasons and keeps the first request id', () => {
    const c = coalesce(coalesce(null, req('r1', ['drift'])), req('r2', ['data', 'drift']));
    expect(c.request_id).toBe('r1');
    expect(c.reasons).toEqual(['drift', 'data']);
    expect(c.details!.coalesced).toBe('r2');
  });
});

describe('run report', () => {
  it('renders Markdown with both charts', () => {
    const md = runReportMarkdown({
      runId: 'r',
      modelName: 'm',
      status: 'succeeded',
      reason: 'promoted',
      params: { a: '1' },
      datasetHash: 'h',
      trainRows: 9,
      validRows: 1,
      gitSha: null,
      seconds: 1,
      metrics: { accuracy: 0.9 },
      labels: ['a', 'b'],
      confusion: [
        [1, 0],
        [0, 1],
      ],
      history: [],
      modelVersion: 3,
    });
    expect(md).toContain('registered as version 3');
    expect(md).toContain('![confusion matrix](confusion.svg)');
    expect(
      confusionSvg(
        ['a', 'b'],
        [
          [5, 1],
          [2, 7],
        ],
      ),
    ).toContain('>7</text>');
    expect(
      learningCurveSvg([
        [
          { epoch: 1, train_loss: 1, dev_macro_f1: 0.5 },
          { epoch: 2, train_loss: 0.5, dev_macro_f1: 0.7 },
        ],
      ]),
    ).toContain('<polyline');
  });
});

describe('run queue', () => {
  const req = (id: string): RetrainRequest => ({
    request_id: id,
    model_name: 'm',
    reasons: ['manual'],
    details: {},
    requested_by: 't',
    force: false,
    requested_at: 1,
  });
  const log = { error: () => undefined } as never;

  it('never commits an unreadable request past one still waiting: the skip moves to the waiting request', async () => {
    const { RunQueue } = await import('../../../processors/training-launcher/queue.js');
    const { Health } = await import('../../../processors/kit/kit.js');
    const commits: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runs: string[] = [];
    const queue = new RunQueue(
      async (q) => {
        runs.push(q.req.request_id);
        await q.commit();
        if (runs.length === 1) await gate; // the first run is still going while more arrive
      },
      new Health(),
      log,
    );
    queue.request(req('a'), async () => void commits.push('offset-1'));
    await new Promise((r) => setImmediate(r));
    queue.request(req('b'), async () => void commits.push('offset-2'));
    await queue.skip(async () => void commits.push('offset-3 (unreadable)'));
    expect(commits).toEqual(['offset-1']); // b waits: nothing past it is committed yet
    release();
    while (queue.busy()) await new Promise((r) => setTimeout(r, 5));
    expect(runs).toEqual(['a', 'b']);
    expect(commits).toEqual(['offset-1', 'offset-3 (unreadable)']);
  });

  it('commits a skip at once when nothing waits', async () => {
    const { RunQueue } = await import('../../../processors/training-launcher/queue.js');
    const { Health } = await import('../../../processors/kit/kit.js');
    const commits: string[] = [];
    const queue = new RunQueue(async () => undefined, new Health(), log);
    await queue.skip(async () => void commits.push('offset-9'));
    expect(commits).toEqual(['offset-9']);
  });

  it('keeps a run whose start failed and retries it, reporting the failure to health', async () => {
    const { RunQueue } = await import('../../../processors/training-launcher/queue.js');
    const { Health } = await import('../../../processors/kit/kit.js');
    const health = new Health(0);
    let attempts = 0;
    const queue = new RunQueue(
      async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('Kafka down');
      },
      health,
      log,
    );
    queue.request(req('a'), async () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(health.healthy()).toBe(false);
    await new Promise((r) => setTimeout(r, 1200));
    expect(attempts).toBe(2);
    expect(health.healthy()).toBe(true);
  });
});
