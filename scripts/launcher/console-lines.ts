/**
 * The launcher's console: every line a service prints, prefixed with its name. At a terminal the
 * services log pino's pretty lines and each name has its own colour; in a pipe or a file (or with
 * LOG_FORMAT=json) they log JSON, as in production, behind a plain `[name] `.
 */
import type { LogFormat } from '../../platform/src/index.ts';

export interface ConsoleStyle {
  /** LOG_FORMAT to hand the services; undefined leaves theirs alone (the user's, or their own choice). */
  serviceLogFormat: LogFormat | undefined;
  /** Colours on the console: names in colour, and the services' own colours kept. */
  colour: boolean;
}

export function chooseConsoleStyle(options: {
  terminal: boolean;
  logFormat: LogFormat | undefined;
  noColor: boolean;
}): ConsoleStyle {
  // Under the launcher a service's stdout is a pipe, so it would pick JSON itself: ask for pretty.
  const serviceLogFormat = options.logFormat === undefined && options.terminal ? 'pretty' : undefined;
  const format = options.logFormat ?? serviceLogFormat ?? 'json';
  return { serviceLogFormat, colour: options.terminal && format === 'pretty' && !options.noColor };
}

/** Foreground colours a terminal shows well on dark and light backgrounds; red is left to errors. */
const palette = [36, 35, 33, 32, 34, 96, 95, 93];
const escape = '\u001b';
const sgr = new RegExp(`${escape}\\[[0-9;]*m`, 'g');

/** `[name] `, in the service's colour (by its place in the manifest) when colours are on. */
export function linePrefix(name: string, index: number, colour: boolean): string {
  if (!colour) return `[${name}] `;
  return `${escape}[${palette[index % palette.length]}m[${name}]${escape}[39m `;
}

/**
 * Copies `stream` to `out` line by line behind `prefix`. Without colours, colour codes are taken
 * out: pino-pretty colours its lines whatever NO_COLOR says, and they would garble a file.
 */
export function forwardLines(
  stream: NodeJS.ReadableStream,
  out: NodeJS.WritableStream,
  prefix: string,
  colour: boolean,
): void {
  let buffered = '';
  const write = (line: string) => out.write(`${prefix}${colour ? line : line.replace(sgr, '')}\n`);
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) write(line);
  });
  // A last line without a newline (a crash message) is still shown.
  stream.on('end', () => {
    if (buffered) write(buffered);
    buffered = '';
  });
}
