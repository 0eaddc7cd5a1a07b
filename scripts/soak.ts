// npm run soak -- --minutes N [--rate R] [--faults kill,broker,registry,slow-clickhouse,hostile]
//   [--out docs/soak.md] [--svg docs/soak.svg]
// Steady reviews through every consuming processor on the real stack (Kafka with SCRAM, Apicurio
// behind its guard, embedded ClickHouse) with a scripted fault schedule, sampled each minute, and a
// verdict: nothing lost, nothing scored twice, memory flat after warm-up, lag back to zero within
// 2 minutes of each fault. It runs on a stack of its own (its own directory and ports, never the
// shared one): ULASAN_STACK_DIR and the ULASAN_STACK_*_PORT variables, or .stack/soak on 19092/18081.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { PROJECT_ROOT } from '../platform/config.js';
import { readLabelledFile } from '../platform/datasets.js';
import { provisionKafka } from '../app/provision.js';
import { AvroSerde } from '../platform/serde/serde.js';
import { allTopics, topicNames } from '../platform/kafka/topics.js';
import { layoutFor, type StackLayout } from '../stack/services.js';
import { upService } from '../stack/stack.js';
import { ensureDefaultModel } from './model-build.js';
import { exited } from './soak/faults.js';
import { markdownTable, rssGrowth, rssText, svgChart, type FaultResult, type MinuteRow } from './soak/report.js';
import {
  FAULTS,
  kafkaAs,
  lagGroups,
  processorsOptions,
  startAndWait,
  type FaultKind,
  type SoakRun,
} from './soak/run.js';
import { drainedPast, groupLags, sampleProcess, type GroupLag } from './soak/sample.js';
import { Traffic } from './soak/traffic.js';
import { scoredOnTopic, storeCounts, topicRecords, type StoreCounts } from './soak/verdict.js';

const SOAK_DEFAULTS: Record<string, string> = {
  ULASAN_STACK_DIR: path.join(PROJECT_ROOT, '.stack', 'soak'),
  ULASAN_STACK_KAFKA_PORT: '19092',
  ULASAN_STACK_CONTROLLER_PORT: '19093',
  ULASAN_STACK_REGISTRY_PORT: '18081',
  ULASAN_STACK_REGISTRY_PRIVATE_PORT: '18082',
};
const WARM_UP_MINUTES = 5;
const RECOVERY_LIMIT_S = 120;
const LAG_EVERY_MS = 5000;

function soakLayout(): StackLayout {
  for (const [k, v] of Object.entries(SOAK_DEFAULTS)) if (!process.env[k]) process.env[k] = v;
  const layout = layoutFor(PROJECT_ROOT);
  // The default ports are the shared stack's: a soak restarts brokers and registries, never that one.
  if (layout.ports.kafka === 9092 || layout.ports.registry === 8081)
    throw new Error(
      `the soak needs a stack of its own: got kafka ${layout.ports.kafka}, ` +
        `registry ${layout.ports.registry} (${layout.dir})`,
    );
  return layout;
}

const USAGE =
  'usage: npm run soak -- --minutes N [--rate R] [--faults kill,broker,registry,slow-clickhouse,hostile] ' +
  '[--out docs/soak.md] [--svg docs/soak.svg]';

function args(): { minutes: number; rate: number; faults: FaultKind[]; out: string; svg: string } {
  const { values } = parseCommandLine(
    {
      options: {
        minutes: { type: 'string', default: '30' },
        rate: { type: 'string', default: '30' },
        faults: { type: 'string', default: 'kill,broker,registry,slow-clickhouse,hostile' },
        out: { type: 'string', default: 'docs/soak.md' },
        svg: { type: 'string', default: 'docs/soak.svg' },
      },
    },
    USAGE,
  );
  const faults = values.faults!.split(',').filter(Boolean) as FaultKind[];
  for (const f of faults)
    if (!(f in FAULTS)) throw new Error(`unknown fault "${f}"; known: ${Object.keys(FAULTS).join(', ')}`);
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  if (!(minutes >= 1) || !(rate >= 1)) throw new Error('--minutes and --rate must be at least 1');
  return { minutes, rate, faults, out: path.resolve(values.out!), svg: path.resolve(values.svg!) };
}

/**
 * Fault start times (minutes): the SIGKILL inside the warm-up (a restarted process warms up again,
 * and memory growth is judged after warm-up), the rest spread so each has 2 minutes to recover
 * before the next and the run's last minutes are quiet.
 */
export function schedule(minutes: number, faults: FaultKind[]): { kind: FaultKind; at: number }[] {
  const rest = faults.filter((f) => f !== 'kill');
  const out: { kind: FaultKind; at: number }[] = [];
  if (faults.includes('kill')) out.push({ kind: 'kill', at: Math.min(2, minutes * 0.3) });
  const first = Math.min(WARM_UP_MINUTES + 1, minutes * 0.4);
  const last = minutes * 0.8;
  rest.forEach((kind, i) =>
    out.push({ kind, at: rest.length === 1 ? first : first + ((last - first) * i) / (rest.length - 1) }),
  );
  return out;
}

interface LagPoint {
  t: number;
  lags: GroupLag[];
}

async function sampleLag(run: SoakRun, points: LagPoint[]): Promise<void> {
  const admin = run.admin.admin();
  try {
    await admin.connect();
    points.push({ t: Date.now(), lags: await groupLags(admin, lagGroups(run)) });
  } catch (err) {
    run.log(`lag sample failed: ${(err as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

const total = (p: LagPoint): number => p.lags.reduce((s, g) => s + g.lag, 0);

/** Seconds after `clearedAt` until every group had drained past the backlog it had then. */
function recovery(points: LagPoint[], clearedAt: number): number | null {
  const at = points.filter((p) => p.t >= clearedAt);
  const base = at[0];
  if (!base) return null;
  const done = at.find((p) =>
    base.lags.every((b) =>
      drainedPast(
        p.lags.find((g) => g.group === b.group)!,
        b,
      ),
    ),
  );
  return done ? (done.t - clearedAt) / 1000 : null;
}

interface FaultRecord extends FaultResult {
  clearedAt: number;
  what: string;
}

async function runFaults(
  run: SoakRun,
  t0: number,
  plan: ReturnType<typeof schedule>,
  out: FaultRecord[],
): Promise<void> {
  for (const f of plan) {
    const wait = t0 + f.at * 60_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const startedAt = Date.now();
    run.log(`fault ${f.kind} at minute ${((startedAt - t0) / 60_000).toFixed(1)}`);
    const what = await FAULTS[f.kind](run);
    const clearedAt = Date.now();
    run.log(`fault ${f.kind} over after ${((clearedAt - startedAt) / 1000).toFixed(0)} s: ${what}`);
    out.push({ kind: f.kind, atMinute: (startedAt - t0) / 60_000, recoverySeconds: null, peakLag: 0, clearedAt, what });
  }
}

async function minuteRow(run: SoakRun, t0: number, points: LagPoint[], notes: string[]): Promise<MinuteRow> {
  const p = await sampleProcess(`http://127.0.0.1:${run.processors.metricsPort}/metrics`);
  const last = points.at(-1);
  return {
    minute: Math.round((Date.now() - t0) / 60_000),
    sent: run.traffic?.sent ?? 0,
    rssMb: p?.rssMb ?? null,
    heapUsedMb: p?.heapUsedMb ?? null,
    eventLoopP99Ms: p?.eventLoopP99Ms ?? null,
    eventLoopMaxMs: p?.eventLoopMaxMs ?? null,
    lag: Object.fromEntries((last?.lags ?? []).map((g) => [g.group, g.lag])),
    errors: p ? Object.values(p.errors).reduce((a, b) => a + b, 0) : 0,
    errorDetail: p?.errors ?? {},
    note: notes.splice(0).join('; '),
    processStartMinute: p?.startedAtMs ? Math.round(((p.startedAtMs - t0) / 60_000) * 10) / 10 : null,
  } as MinuteRow;
}

function texts(): string[] {
  try {
    const rows = readLabelledFile(path.join(PROJECT_ROOT, '..', 'shared', 'data', 'app-reviews', 'train.csv'));
    const t = rows
      .map((r) => r.text)
      .filter((x) => x.trim() !== '')
      .slice(0, 2000);
    if (t.length) return t;
  } catch {
    /* no shared data: the fixed texts below */
  }
  return ['aplikasinya bagus sekali', 'sering error tidak bisa login', 'biasa saja', 'pengiriman cepat mantap'];
}

async function setUp(layout: StackLayout, runId: string, log: (m: string) => void): Promise<SoakRun> {
  for (const name of ['kafka', 'registry', 'registry-guard'] as const) {
    const r = await upService(layout, name);
    log(`${name} ${r.action} (${r.seconds.toFixed(1)} s)`);
  }
  const admin = kafkaAs(layout, 'ulasan-admin');
  const prefix = `${runId}.`;
  const p = await provisionKafka(admin, prefix);
  log(`provisioned ${p.created.length} topics, ${p.acls} ACL entries`);
  const opts = processorsOptions(layout, runId, await ensureDefaultModel(), 19464);
  const serde = new AvroSerde(opts.registryUrl);
  await serde.registerAll(allTopics(prefix));
  return {
    layout,
    runId,
    topics: topicNames(prefix),
    admin,
    serde,
    processors: opts,
    child: null,
    traffic: null,
    hostileSent: 0,
    log,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  run: SoakRun;
  minutes: number;
  rate: number;
  rows: MinuteRow[];
  faults: FaultRecord[];
  counts: StoreCounts;
  scored: { records: number; distinct: number };
  reviewsRecords: number;
  finalLag: GroupLag[];
  startedAt: Date;
}

async function drive(
  run: SoakRun,
  minutes: number,
  plan: ReturnType<typeof schedule>,
): Promise<Omit<Outcome, 'counts' | 'scored' | 'reviewsRecords' | 'run' | 'minutes' | 'rate'>> {
  const startedAt = new Date();
  const t0 = startedAt.getTime();
  const points: LagPoint[] = [];
  const rows: MinuteRow[] = [];
  const faults: FaultRecord[] = [];
  const notes: string[] = [];
  const log = run.log;
  run.log = (m) => {
    log(m);
    if (m.startsWith('fault ') && m.includes(' over ')) notes.push(m.replace(/^fault /, ''));
  };
  run.traffic!.start();
  const lagTimer = setInterval(() => void sampleLag(run, points), LAG_EVERY_MS);
  const minuteTimer = setInterval(() => void minuteRow(run, t0, points, notes).then((r) => rows.push(r)), 60_000);
  const faulting = runFaults(run, t0, plan, faults);
  await sleep(t0 + minutes * 60_000 - Date.now());
  await faulting;
  await run.traffic!.stop();
  run.log(`traffic stopped: ${run.traffic!.sent} reviews, ${run.traffic!.feedbackSent} feedback sent`);
  // Drain: the groups catch up with nothing new arriving (5 minutes at most).
  const drainUntil = Date.now() + 300_000;
  while (
    Date.now() < drainUntil &&
    !(points.at(-1) && total(points.at(-1)!) === 0 && points.at(-1)!.t > Date.now() - 6000)
  )
    await sleep(1000);
  clearInterval(lagTimer);
  clearInterval(minuteTimer);
  await sampleLag(run, points);
  notes.push('end: traffic stopped, drained');
  rows.push(await minuteRow(run, t0, points, notes));
  for (const f of faults) {
    f.recoverySeconds = recovery(points, f.clearedAt);
    const during = points.filter(
      (p) => p.t >= t0 + f.atMinute * 60_000 && p.t <= f.clearedAt + (f.recoverySeconds ?? 0) * 1000,
    );
    f.peakLag = Math.max(0, ...during.map(total));
  }
  return { rows, faults, finalLag: points.at(-1)?.lags ?? [], startedAt };
}

/** Redoes the verdict and the report of a finished run from its samples.json (the data stays). */
async function verdictFrom(file: string): Promise<void> {
  const layout = soakLayout();
  const s = JSON.parse(readFileSync(file, 'utf8')) as {
    a: ReturnType<typeof args>;
    runId: string;
    driven: Awaited<ReturnType<typeof drive>>;
    sent: number;
    hostileSent: number;
  };
  s.driven.startedAt = new Date(s.driven.startedAt);
  const log = (m: string): void => console.log(`${new Date().toISOString()} ${m}`);
  const opts = processorsOptions(layout, s.runId, '', 0);
  const serde = new AvroSerde(opts.registryUrl);
  await serde.registerAll(allTopics(`${s.runId}.`));
  const run: SoakRun = {
    layout,
    runId: s.runId,
    topics: topicNames(`${s.runId}.`),
    admin: kafkaAs(layout, 'ulasan-admin'),
    serde,
    processors: opts,
    child: null,
    traffic: { sent: s.sent } as Traffic,
    hostileSent: s.hostileSent,
    log,
  };
  const { out, svg } = args();
  await verdict(run, { ...s.a, out, svg }, s.driven);
}

async function main(): Promise<void> {
  const from = process.argv.indexOf('--verdict-from');
  if (from > 0) return verdictFrom(process.argv.splice(from, 2)[1]!);
  const a = args();
  const layout = soakLayout();
  const runId = `soak-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 12)}`;
  const log = (m: string): void => console.log(`${new Date().toISOString()} ${m}`);
  log(
    `soak ${runId}: ${a.minutes} min at ${a.rate} reviews/s on ${layout.dir} ` +
      `(kafka ${layout.ports.kafka}, registry ${layout.ports.registry})`,
  );
  const run = await setUp(layout, runId, log);
  // A sampler or fault helper failing mid-run is logged, not fatal; the processors never outlive the soak.
  process.on('unhandledRejection', (err) => log(`unhandled: ${(err as Error).message}`));
  process.on('exit', () => run.child?.kill('SIGKILL'));
  await startAndWait(run);
  run.traffic = new Traffic({
    reviews: kafkaAs(layout, 'ulasan-producer'),
    feedback: kafkaAs(layout, 'ulasan-gateway'),
    serde: run.serde,
    topics: run.topics,
    rate: a.rate,
    runId,
    texts: texts(),
    log: (m) => run.log(m),
  });
  const plan = schedule(a.minutes, a.faults);
  log(`fault plan: ${plan.map((f) => `${f.kind}@${f.at.toFixed(1)}min`).join(', ')}`);
  const driven = await drive(run, a.minutes, plan);
  run.child!.kill('SIGTERM');
  await exited(run.child!);
  // The run's samples, kept before the verdict reads anything: `--verdict-from` redoes the rest.
  const saved = path.join(run.processors.workDir, 'samples.json');
  writeFileSync(saved, JSON.stringify({ a, runId, driven, sent: run.traffic.sent, hostileSent: run.hostileSent }));
  log(`samples saved: ${saved}`);
  await verdict(run, a, driven);
}

async function verdict(
  run: SoakRun,
  a: ReturnType<typeof args>,
  driven: Awaited<ReturnType<typeof drive>>,
): Promise<void> {
  const runId = run.runId;
  const log = run.log;
  const sent = run.traffic!.sent;
  const counts = await storeCounts(run.processors.chdbPath, runId, sent, run.topics.reviews);
  const scored = await scoredOnTopic(run.admin, run.serde, run.topics, runId, sent);
  const reviewsRecords = await topicRecords(run.admin, run.topics.reviews);
  const outcome: Outcome = { ...driven, run, minutes: a.minutes, rate: a.rate, counts, scored, reviewsRecords };
  const { markdown, passed } = report(outcome, path.relative(path.dirname(a.out), a.svg));
  writeFileSync(a.out, markdown);
  writeFileSync(
    a.svg,
    svgChart(
      driven.rows.map((r) => ({ ...r, lag: Object.values(r.lag).reduce((x, y) => x + y, 0) })),
      driven.faults,
    ),
  );
  log(`report: ${a.out} (${passed ? 'PASSED' : 'FAILED'})`);
  process.exit(passed ? 0 : 1);
}

interface Check {
  name: string;
  value: string;
  pass: boolean;
}

function checks(o: Outcome): Check[] {
  const sent = o.run.traffic!.sent;
  const c = o.counts;
  const lost = c.missing;
  const dupTopic = o.scored.records - o.scored.distinct;
  const rss = rssGrowth(o.rows, WARM_UP_MINUTES);
  const expectedRecords = sent + o.run.hostileSent;
  const dl = c.deadLettersByProcessor;
  const finalLag = o.finalLag.reduce((s, g) => s + g.lag, 0);
  return [
    {
      name: 'lost (sent, not in predictions)',
      value: `${lost} of ${sent}`,
      pass: lost === 0 && c.predictionsFinal === sent,
    },
    { name: 'stored reviews (reviews FINAL)', value: `${c.reviewsFinal} of ${sent}`, pass: c.reviewsFinal === sent },
    {
      name: 'scored twice (scored topic, read_committed)',
      value: `${dupTopic} (${o.scored.records} records, ${o.scored.distinct} ids)`,
      pass: dupTopic === 0 && o.scored.distinct === sent,
    },
    {
      name: 'predictions FINAL vs distinct ids',
      value: `${c.predictionsFinal} / ${c.predictionsDistinct} (${c.predictionsRaw} rows before FINAL)`,
      pass: c.predictionsFinal === c.predictionsDistinct,
    },
    {
      name: 'reviews topic records (Kafka offsets)',
      value: `${o.reviewsRecords} (expected ${expectedRecords}: ${sent} good + ${o.run.hostileSent} hostile)`,
      pass: o.reviewsRecords === expectedRecords,
    },
    {
      name: 'hostile records dead-lettered',
      value: `review-store ${dl['review-store'] ?? 0}, scoring ${dl.scoring ?? 0} of ${o.run.hostileSent}`,
      pass: (dl['review-store'] ?? 0) === o.run.hostileSent && (dl.scoring ?? 0) === o.run.hostileSent,
    },
    {
      name: `RSS growth after minute ${WARM_UP_MINUTES} (one process)`,
      value: rssText(rss),
      pass: rss !== null && rss.percent <= 10,
    },
    ...o.faults.map((f) => ({
      name: `lag recovered after ${f.kind}`,
      value: f.recoverySeconds === null ? 'never' : `${f.recoverySeconds.toFixed(0)} s (peak lag ${f.peakLag})`,
      pass: f.recoverySeconds !== null && f.recoverySeconds <= RECOVERY_LIMIT_S,
    })),
    {
      name: 'lag at the end (traffic stopped)',
      value: o.finalLag.map((g) => `${g.group.replace(/^ulasan-/, '').replace(/\..*$/, '')} ${g.lag}`).join(', '),
      pass: finalLag === 0,
    },
  ];
}

function report(o: Outcome, svgRef: string): { markdown: string; passed: boolean } {
  const cs = checks(o);
  const passed = cs.every((c) => c.pass);
  const groups = o.finalLag.map((g) => g.group);
  const cmd = `npm run soak -- --minutes ${o.minutes} --rate ${o.rate}`;
  const env = Object.keys(SOAK_DEFAULTS)
    .map((k) => `${k}=${process.env[k]}`)
    .join(' ');
  const md = [
    `# Soak: ${o.minutes} minutes at ${o.rate} reviews/s with ${o.faults.length} faults — ` +
      `${passed ? 'PASSED' : 'FAILED'}`,
    '',
    `Run \`${o.run.runId}\`, started ${o.startedAt.toISOString()}, made by:`,
    '',
    '```sh',
    `${env} ULASAN_STACK_CLICKHOUSE_HTTP_PORT=${process.env.ULASAN_STACK_CLICKHOUSE_HTTP_PORT ?? ''} ${cmd}`.replace(
      / +/g,
      ' ',
    ),
    '```',
    '',
    '## Verdict',
    '',
    '| check | value | |',
    '| --- | --- | --- |',
    ...cs.map((c) => `| ${c.name} | ${c.value} | ${c.pass ? 'pass' : '**FAIL**'} |`),
    '',
    '## Faults',
    '',
    '| minute | fault | what happened | lag back in | peak lag |',
    '| --- | --- | --- | --- | --- |',
    ...o.faults.map(
      (f) =>
        `| ${f.atMinute.toFixed(1)} | ${f.kind} | ${f.what} | ` +
        `${f.recoverySeconds === null ? 'never' : `${f.recoverySeconds.toFixed(0)} s`} | ${f.peakLag} |`,
    ),
    '',
    '## Each minute',
    '',
    `![memory and lag over the soak](${svgRef})`,
    '',
    markdownTable(o.rows, groups),
    '',
  ].join('\n');
  return { markdown: md, passed };
}

main().catch((err: unknown) => {
  exitOnUsageError('soak', err);
  console.error(`soak: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
