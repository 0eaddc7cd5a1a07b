// A wrong command line is a USAGE error, not a crash: parseCommandLine turns parseArgs' TypeErrors
// into one, keeps parseArgs' typing, and a CLI prints it as one line and exits 2.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { exitOnUsageError, parseCommandLine, USAGE_EXIT_CODE } from '../../../platform/cli.js';
import { UlasanError } from '../../../platform/errors.js';
import { ROOT } from '../../helpers.js';

const OPTIONS = {
  json: { type: 'string' },
  folds: { type: 'string', default: '5' },
  quiet: { type: 'boolean', default: false },
  data: { type: 'string', multiple: true },
} as const;

function usageError(fn: () => unknown): UlasanError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UlasanError) return err;
    throw err;
  }
  throw new Error('expected a UlasanError');
}

describe('parseCommandLine', () => {
  it('turns an unknown option into a USAGE error naming it, with the usage text', () => {
    const err = usageError(() => parseCommandLine({ args: ['--bogus'], options: OPTIONS }, 'usage: tool [--json f]'));
    expect(err.code).toBe('USAGE');
    expect(err.message).toBe("Unknown option '--bogus'; usage: tool [--json f]");
    expect((err.cause as { code?: string }).code).toBe('ERR_PARSE_ARGS_UNKNOWN_OPTION');
  });

  it('turns an unexpected positional and a missing value into USAGE errors naming them', () => {
    const positional = usageError(() => parseCommandLine({ args: ['--json', 'out.json', 'stray'], options: OPTIONS }));
    expect(positional.code).toBe('USAGE');
    expect(positional.message).toMatch(/Unexpected argument 'stray'/);
    const missing = usageError(() => parseCommandLine({ args: ['--json'], options: OPTIONS }));
    expect(missing.code).toBe('USAGE');
    expect(missing.message).toMatch(/--json/);
  });

  it('parses valid arguments as parseArgs does, typed by the config', () => {
    const { values, positionals } = parseCommandLine({
      args: ['--json', 'out.json', '--quiet', '--data', 'a.tsv', '--data', 'b.tsv', 'up'],
      options: OPTIONS,
      allowPositionals: true,
    });
    expect(values).toEqual({ json: 'out.json', folds: '5', quiet: true, data: ['a.tsv', 'b.tsv'] });
    expect(positionals).toEqual(['up']);
    expectTypeOf(values.folds).toEqualTypeOf<string>();
    expectTypeOf(values.json).toEqualTypeOf<string | undefined>();
    expectTypeOf(values.data).toEqualTypeOf<string[] | undefined>();
  });

  it('leaves a wrong config (a programming error, not a wrong command line) as it was', () => {
    const bad = { args: [], options: { n: { type: 'number' } } } as unknown as Parameters<typeof parseCommandLine>[0];
    expect(() => parseCommandLine(bad)).toThrow(TypeError);
    expect(() => parseCommandLine(bad)).not.toThrow(UlasanError);
  });
});

describe('exitOnUsageError', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints a USAGE error as one line and exits 2; returns for anything else', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    exitOnUsageError('tool', new UlasanError('DATA_INVALID', 'bad row'));
    exitOnUsageError('tool', new Error('boom'));
    expect(exit).not.toHaveBeenCalled();
    exitOnUsageError('tool', new UlasanError('USAGE', "Unknown option '--bogus'"));
    expect(error).toHaveBeenCalledWith("tool: Unknown option '--bogus'");
    expect(exit).toHaveBeenCalledWith(USAGE_EXIT_CODE);
    expect(USAGE_EXIT_CODE).toBe(2);
  });
});

describe('a CLI given an unknown option', () => {
  it('npm run model:cv -- --bogus prints one line naming the option, no stack, and exits 2', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'models/trainer/cv.ts'), '--bogus'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(2);
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^model:cv: Unknown option '--bogus'/);
    expect(res.stderr).not.toMatch(/^\s+at /m);
    expect(res.stdout).toBe('');
  });
});
