// Progress bars for long CLI work (cli-progress, the library the producer already used). Drawn on
// stderr only when it is a terminal: piped or in CI, a command prints its results and nothing else.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const QUIET: Progress = { update: () => undefined, stop: () => undefined };

export function progressBar(label: string, total: number, unit: string, stream = process.stderr): Progress {
  if (!stream.isTTY || total <= 0) return QUIET;
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {value}/{total} ${unit}  {eta_formatted} left`, hideCursor: true, stream },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done) => bar.update(Math.min(done, total)),
    stop: () => {
      bar.update(total);
      bar.stop();
    },
  };
}
