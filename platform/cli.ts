// Command-line parsing for the project's CLIs. node:util parseArgs throws a TypeError for a wrong
// command line (unknown option, stray positional, missing value); a CLI's top-level catch would print
// it with a stack, as if the tool had crashed. Here it becomes a USAGE error, which every CLI prints
// as one line and exits 2 for, like its own usage checks.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isUlasanError, UlasanError } from './errors.js';

/** The exit status of a wrong command line (as the shells' builtins and the CLIs' own checks use). */
export const USAGE_EXIT_CODE = 2;

/** parseArgs' own errors: a TypeError whose code names what was wrong with the command line. */
function isParseArgsError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * parseArgs (typed by the config, as parseArgs is), with a wrong command line thrown as a USAGE
 * UlasanError: node's message (it names the option or argument), then the usage text when given,
 * on one line so the error stays one line.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  config: T,
  usage?: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    if (!isParseArgsError(err)) throw err;
    throw new UlasanError('USAGE', usage ? `${err.message}; ${usage}` : err.message, { cause: err });
  }
}

/**
 * For a CLI's top-level catch: a USAGE error is the user's mistake, not a crash, so it is printed as
 * `<tool>: <message>` (no code, no stack) and the process exits 2. Anything else returns, for the
 * CLI to report as it always has.
 */
export function exitOnUsageError(tool: string, err: unknown): void {
  if (!isUlasanError(err) || err.code !== 'USAGE') return;
  console.error(`${tool}: ${err.message}`);
  process.exit(USAGE_EXIT_CODE);
}

/**
 * Runs a synchronous CLI body: a USAGE error exits as exitOnUsageError does; anything else is a real
 * failure and is thrown on, so node prints it (and its stack) as it would without this wrapper.
 */
export function runCommandLine(tool: string, main: () => void): void {
  try {
    main();
  } catch (err) {
    exitOnUsageError(tool, err);
    throw err;
  }
}
