import { Writable } from 'node:stream';
import { createInterface, type Interface } from 'node:readline/promises';
import { CliError } from '@usher/platform';

/** Prompts only make sense on a terminal; scripts and CI must pass every required option. */
export const isInteractive = (): boolean => process.stdin.isTTY === true;

/** Ctrl-C or Ctrl-D ends the prompt with a clear failure instead of leaving the question pending. */
async function question(rl: Interface, text: string): Promise<string> {
  const cancel = new AbortController();
  rl.once('close', () => cancel.abort());
  rl.once('SIGINT', () => rl.close());
  try {
    return await rl.question(text, { signal: cancel.signal });
  } catch (error) {
    if (cancel.signal.aborted) throw new CliError('Cancelled');
    throw error;
  } finally {
    rl.close();
  }
}

export async function ask(text: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  return (await question(rl, text)).trim();
}

/** Asks without echoing: readline writes the typed characters to an output we keep muted. */
export async function askSecret(text: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  process.stdout.write(text);
  muted = true;
  try {
    return await question(rl, '');
  } finally {
    process.stdout.write('\n');
  }
}
