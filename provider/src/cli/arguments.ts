import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from './cli-errors.ts';

/**
 * parseArgs in strict mode with positionals; its errors (unknown option, missing value) become
 * usage errors of `topic` so that main answers them with exit 2 and the right usage text.
 */
export function parseCommand<const O extends ParseArgsOptionsConfig>(args: string[], options: O, topic: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), topic);
  }
}

/** The positional arguments named in `names`, in order; missing or extra ones are usage errors. */
export function positionals<const N extends readonly string[]>(
  given: string[],
  names: N,
  topic: string,
): { [K in keyof N]: string } {
  if (given.length < names.length) throw new UsageError(`Missing ${names[given.length]}`, topic);
  if (given.length > names.length) throw new UsageError(`Unexpected argument ${given[names.length]}`, topic);
  return given as { [K in keyof N]: string };
}

export function requireOption<T>(value: T | undefined, option: string, topic: string): T {
  if (value === undefined) throw new UsageError(`Missing ${option}`, topic);
  return value;
}

/** One subcommand: its arguments after the group and subcommand names. */
export type Command = (args: string[]) => Promise<void>;
