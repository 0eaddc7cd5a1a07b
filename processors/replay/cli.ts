// npm run replay -- --topic <reviews topic> --from <offset|ISO time> --to <offset|ISO time>
//                   --model <registry version|package path> [--compare production] [--run-id id]
// Backtests a topic range with any model version. With embedded ClickHouse, run it while the
// processors are stopped (chdb is one process at a time) or point CLICKHOUSE_URL at a server.
import { existsSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { parseConfig } from '../../platform/config.js';
import { createContext } from '../kit/context.js';
import { exitOnUsageError, parseCommandLine } from '../../platform/cli.js';
import { isUlasanError } from '../../platform/errors.js';
import { ModelRegistry } from '../../platform/registry/registry.js';
import { verifiedArtifactDir } from '../../models/serving/artifact.js';
import { parseBound, runReplay } from './replay.js';

const USAGE =
  'usage: npm run replay -- --topic <t> --from <time|offset> --to <time|offset> --model <version|path> ' +
  '[--model-name ulasan-compact] [--compare production] [--run-id id]';

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    {
      options: {
        topic: { type: 'string' },
        from: { type: 'string', default: '0' },
        to: { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
        model: { type: 'string' },
        'model-name': { type: 'string', default: 'ulasan-compact' },
        compare: { type: 'string', default: 'production' },
        'run-id': { type: 'string' },
      },
    },
    USAGE,
  );
  if (!values.model) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = parseConfig({});
  const ctx = await createContext(config, 'replay');
  let modelDir = values.model;
  if (/^\d+$/.test(values.model)) {
    const reg = await ModelRegistry.open({
      kafka: ctx.kafka,
      serde: ctx.serde,
      topics: ctx.topics,
      artifactDir: config.ULASAN_ARTIFACT_DIR,
    });
    const v = reg.state.version(values['model-name'], Number(values.model));
    if (!v) throw new Error(`registry has no ${values['model-name']} version ${values.model}`);
    modelDir = verifiedArtifactDir(v, config.ULASAN_ARTIFACT_DIR);
  } else if (!existsSync(path.join(values.model, 'model.onnx'))) throw new Error(`no model package at ${values.model}`);
  const bar = new cliProgress.SingleBar(
    { format: 'replaying |{bar}| {value}/{total} records' },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0);
  const report = await runReplay(ctx, {
    topic: values.topic ?? ctx.topics.reviews,
    from: parseBound(values.from),
    to: parseBound(values.to),
    modelDir,
    runId: values['run-id'],
    stateDir: path.join(config.ULASAN_ARTIFACT_DIR, 'backtests'),
    onProgress: (d, t) => {
      bar.setTotal(Math.max(1, t));
      bar.update(d);
    },
  });
  bar.stop();
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `report saved to ${path.join(config.ULASAN_ARTIFACT_DIR, 'backtests', `${report.run_id}.report.json`)}; ` +
      `resume with --run-id ${report.run_id}`,
  );
  await ctx.store.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  exitOnUsageError('replay', err);
  console.error(isUlasanError(err) ? `replay: ${err.code}: ${err.message}` : `replay: ${(err as Error).message}`);
  process.exit(1);
});
