import { z } from 'zod';
import { loadConfig } from './config.ts';

/**
 * The `main` of every Usher command-line tool. Exit codes: 0 done, 1 failed (one `Error:` line on
 * stderr, never a stack trace unless `--debug` or DEBUG asks for it), 2 malformed command line (the
 * message, then the usage). `help`, `--help` and `-h` print the usage on stdout. Nothing is read
 * from stdin, so scripts and CI run every command without a terminal.
 */

/** A failure whose message is meant for the operator: `Error: <message>`, exit 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A malformed command line: the message and the usage of `topic` (all of it when null), exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly topic: string | null = null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const exitCodes = { done: 0, failed: 1, usage: 2 } as const;

export interface CliProgram {
  /** The usage text: all of it (topic null), or the part about one command group. */
  usage(topic: string | null): string;
  /** Command groups with a usage part of their own: `help GROUP`, `GROUP --help`. */
  topics?: readonly string[];
  /** Runs the command line (help and --debug already taken out); resolves to the exit code, 0 if none. */
  run(argv: string[]): Promise<number | void>;
}

export interface CliOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Print the stack of an unexpected failure after its line. */
  debug?: boolean;
}

const isHelp = (arg: string | undefined) => arg === 'help' || arg === '--help' || arg === '-h';

/** The usage topic a help request asks for (null: all), or undefined when argv asks for no help. */
function helpRequest(program: CliProgram, argv: string[]): string | null | undefined {
  const [first, second, ...rest] = argv;
  const topics = program.topics ?? [];
  if (isHelp(first)) {
    if (second === undefined || !program.topics) return null;
    if (!topics.includes(second)) throw new UsageError(`Unknown command ${second}`);
    return second;
  }
  if (isHelp(second) || rest.includes('--help')) return first !== undefined && topics.includes(first) ? first : null;
  return undefined;
}

/**
 * An error as one line: pg reports a refused connection as an AggregateError with no message (one
 * error per address tried); a message of several lines (a list of bad settings) is joined.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return describeFailure(error.errors[0] ?? 'unknown error');
  if (!(error instanceof Error)) return String(error);
  const text = error.message || (error as NodeJS.ErrnoException).code || error.name;
  const [first = '', ...more] = text
    .split('\n')
    .map((line) => line.trim().replace(/^- /, ''))
    .filter(Boolean);
  return more.length ? `${first} ${more.join('; ')}` : first;
}

/** parseArgs's own errors (unknown option, missing value) are a malformed command line too. */
const isParseArgsError = (error: unknown) =>
  typeof (error as { code?: unknown } | null)?.code === 'string' &&
  (error as { code: string }).code.startsWith('ERR_PARSE_ARGS_');

function reportFailure(output: CliOutput, error: unknown): void {
  output.stderr.write(`Error: ${describeFailure(error)}\n`);
  if (output.debug && error instanceof Error && error.stack) output.stderr.write(`${error.stack}\n`);
}

/** Runs `program` on `argv`, writing only to `output`, and answers the exit code. */
export async function executeCli(program: CliProgram, argv: string[], output: CliOutput): Promise<number> {
  try {
    const topic = helpRequest(program, argv);
    if (topic !== undefined) {
      output.stdout.write(`${program.usage(topic)}\n`);
      return exitCodes.done;
    }
    return (await program.run(argv)) ?? exitCodes.done;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      const topic = error instanceof UsageError ? error.topic : null;
      output.stderr.write(`Error: ${describeFailure(error)}\n\n${program.usage(topic)}\n`);
      return exitCodes.usage;
    }
    reportFailure(output, error);
    return exitCodes.failed;
  }
}

/** DEBUG, as the `debug` package reads it: set to anything but 0 or false. */
const debugSetting = z.object({ DEBUG: z.string().optional() });

/**
 * The process's entry point: `--debug` taken from the command line, stdout and stderr, and an
 * explicit exit once the command is done, so that a pool timer or Redis client left behind cannot
 * keep it running. A failure that escapes the command (an error event of a client) ends it the same way.
 */
export async function runCli(program: CliProgram, argv: string[] = process.argv.slice(2)): Promise<never> {
  const { DEBUG } = loadConfig(debugSetting);
  const debug = argv.includes('--debug') || (DEBUG !== undefined && !['0', 'false'].includes(DEBUG));
  const output: CliOutput = { stdout: process.stdout, stderr: process.stderr, debug };
  const escaped = (error: unknown) => {
    reportFailure(output, error);
    process.exit(exitCodes.failed);
  };
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  const code = await executeCli(
    program,
    argv.filter((arg) => arg !== '--debug'),
    output,
  );
  // Let piped output drain before exiting.
  await new Promise((resolve) => process.stdout.write('', resolve));
  await new Promise((resolve) => process.stderr.write('', resolve));
  process.exit(code);
}
