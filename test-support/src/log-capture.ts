import { Writable } from 'node:stream';

/** Log lines a test can search, e.g. for the 4 KB token warning or for leaked secrets. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  text() {
    return this.lines.join('\n');
  }
}
