import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from '@usher/platform';
import { checkDescription } from './input-rules.ts';

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

/**
 * `create NAME [--description D] ...`, as roles and permissions take it: the name passed by
 * `checkName`, the description by the common rule, and the values of the other `options`.
 */
export function parseNamedCreate<const O extends ParseArgsOptionsConfig>(
  args: string[],
  options: O,
  topic: string,
  checkName: (name: string) => string,
) {
  const withDescription = { ...options, description: { type: 'string' } } as O & { description: { type: 'string' } };
  const { values, positionals: given } = parseCommand(args, withDescription, topic);
  const [name] = positionals(given, ['NAME'], topic);
  // parseArgs cannot type an option added to a generic set; it is a string option all the same.
  const { description } = values as { description?: string };
  return { name: checkName(name), description: checkDescription(description), values };
}

export function requireOption<T>(value: T | undefined, option: string, topic: string): T {
  if (value === undefined) throw new UsageError(`Missing ${option}`, topic);
  return value;
}

/** One subcommand: its arguments after the group and subcommand names. */
export type Command = (args: string[]) => Promise<void>;
