// The scorer's engine batch (SCORING_ENGINE_BATCH): CPU per review and what a burst leaves in RSS.
//   npx tsx bench/engine-batch.ts [--batches 32,64,128,256] [--reviews 20000]
// onnxruntime's CPU arena keeps its high-water mark for the life of the session (the Node binding
// cannot ask it to shrink), so a burst of full batches of long reviews raises the scorer's RSS for
// good: each batch size runs in its own process (one session, one arena), first small batches as
// live traffic sends them, then a burst of 4,000 long reviews (each real review repeated 8 times),
// then small batches again. CPU = process CPU over two passes of N real reviews / 2N.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { InferenceEngine } from '../models/core/engine.js';
import { DEFAULT_PACKAGE_DIR } from '../scripts/model-build.js';
import { cpuMicros, machine, writeResult } from './lib/report.js';
import { benchReviews } from './lib/reviews.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '32,64,128,256' },
    reviews: { type: 'string', default: '20000' },
    child: { type: 'string' },
  },
});

interface Figures {
  batch: number;
  rss_small_mb: number;
  rss_after_burst_mb: number;
  rss_small_again_mb: number;
  cpu_us_per_review: number;
}

const rssMb = (): number => Math.round(process.memoryUsage().rss / 1048576);

async function measure(batch: number, n: number): Promise<Figures> {
  const engine = await InferenceEngine.load(DEFAULT_PACKAGE_DIR, { maxBatch: batch, intraOpThreads: 1 });
  const texts = benchReviews(n, 'eb-').map((r) => r.text);
  const small = async () => {
    for (let i = 0; i < 200; i++) await engine.predict(texts.slice(3 * i, 3 * i + 3));
  };
  await small();
  const rssSmall = rssMb();
  const long = texts.slice(0, 4000).map((t) => `${t} `.repeat(8));
  for (let i = 0; i < long.length; i += 256) await engine.predict(long.slice(i, i + 256));
  const rssBurst = rssMb();
  await small();
  const rssAgain = rssMb();
  const pass = async () => {
    for (let i = 0; i < n; i += 256) await engine.predict(texts.slice(i, i + 256));
  };
  await pass(); // warm-up
  const c0 = process.cpuUsage();
  await pass();
  await pass();
  const cpu = cpuMicros(c0) / (2 * n);
  return {
    batch,
    rss_small_mb: rssSmall,
    rss_after_burst_mb: rssBurst,
    rss_small_again_mb: rssAgain,
    cpu_us_per_review: Number(cpu.toFixed(2)),
  };
}

if (values.child) {
  process.stdout.write(JSON.stringify(await measure(Number(values.child), Number(values.reviews))));
} else {
  const rows: (Figures & { burst_kept_mb: number })[] = [];
  for (const batch of values.batches!.split(',').map(Number)) {
    const args = ['--import', 'tsx', import.meta.filename, '--child', String(batch), '--reviews', values.reviews!];
    const out = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (out.status !== 0) throw new Error(`batch ${batch} failed: ${out.stderr}`);
    const f = JSON.parse(out.stdout) as Figures;
    rows.push({ ...f, burst_kept_mb: f.rss_small_again_mb - f.rss_small_mb });
  }
  console.table(rows);
  const base = rows.find((r) => r.batch === 256) ?? rows[rows.length - 1]!;
  for (const r of rows) {
    const ratio = (r.cpu_us_per_review / base.cpu_us_per_review).toFixed(2);
    console.log(`batch ${r.batch}: CPU ${ratio} x batch ${base.batch}, burst kept ${r.burst_kept_mb} MB`);
  }
  console.log(`results: ${writeResult('engine-batch', { machine: machine(), reviews: Number(values.reviews), rows })}`);
}
