import { createReadStream } from 'node:fs';

/** One element of an import file, where it starts (1-based line, 0-based index), parsed or not. */
export type FileRow = { index: number; line: number; value: unknown } | { index: number; line: number; error: string };

export class MalformedFile extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedFile';
  }
}

/**
 * Streams the rows of a catalogue file without reading it whole: a JSON array (its top-level
 * elements are cut out by a small scanner that tracks strings and nesting) or JSON Lines (one value
 * per non-blank line). `onBytes` reports progress.
 */
export async function* readCatalogueFile(file: string, onBytes?: (bytes: number) => void): AsyncGenerator<FileRow> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  let mode: 'unknown' | 'array' | 'lines' = 'unknown';
  let line = 1;
  let index = 0;
  // Array scanner state.
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let elementLine = 0;
  let finished = false;
  // JSON Lines state.
  let pending = '';

  const parse = (text: string, at: number): FileRow => {
    const position = index++;
    try {
      return { index: position, line: at, value: JSON.parse(text) as unknown };
    } catch (error) {
      return { index: position, line: at, error: `not valid JSON (${(error as Error).message})` };
    }
  };

  for await (const chunk of stream as AsyncIterable<string>) {
    onBytes?.(Buffer.byteLength(chunk));
    let text = chunk;
    if (mode === 'unknown') {
      const start = text.search(/\S/);
      if (start === -1) {
        line += (text.match(/\n/g) ?? []).length;
        continue;
      }
      line += (text.slice(0, start).match(/\n/g) ?? []).length;
      mode = text[start] === '[' ? 'array' : 'lines';
      text = text.slice(mode === 'array' ? start + 1 : start);
      if (mode === 'lines') pending = '';
    }
    if (mode === 'lines') {
      pending += text;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) {
        if (part.trim()) yield parse(part, line);
        line += 1;
      }
      continue;
    }
    const rows: FileRow[] = [];
    for (const char of text) {
      if (finished) {
        if (/\S/.test(char)) throw new MalformedFile(`line ${line}: unexpected text after the closing ]`);
        if (char === '\n') line += 1;
        continue;
      }
      if (char === '\n') line += 1;
      if (inString) {
        element += char;
        if (escaped) escaped = false;
        else if (char === '\\') escaped = true;
        else if (char === '"') inString = false;
        continue;
      }
      if (depth === 0 && (char === ',' || char === ']')) {
        if (element.trim()) rows.push(parse(element, elementLine));
        else if (char === ',') throw new MalformedFile(`line ${line}: empty array element`);
        element = '';
        if (char === ']') finished = true;
        continue;
      }
      if (!element.trim() && /\S/.test(char)) elementLine = line;
      if (char === '"') inString = true;
      else if (char === '{' || char === '[') depth += 1;
      else if (char === '}' || char === ']') depth -= 1;
      element += char;
    }
    yield* rows;
  }
  if (mode === 'lines' && pending.trim()) yield parse(pending, line);
  if (mode === 'array' && !finished) throw new MalformedFile('the JSON array is not closed (the file ends early)');
}
