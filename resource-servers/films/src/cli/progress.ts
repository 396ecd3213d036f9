/**
 * Import progress on stderr: a redrawn bar on a terminal, plain lines (every `every` films)
 * otherwise, so logs and CI output stay readable.
 */
export function createProgress(stream: NodeJS.WriteStream, totalBytes: number, every = 1000) {
  let bytes = 0;
  let films = 0;
  let lastLine = 0;
  const tty = stream.isTTY === true;
  const draw = () => {
    const share = totalBytes ? Math.min(1, bytes / totalBytes) : 1;
    const width = 30;
    const filled = Math.round(share * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(share * 100)}% ${films} films`);
  };
  return {
    bytes(count: number) {
      bytes += count;
      if (tty) draw();
    },
    films(total: number) {
      films = total;
      if (tty) draw();
      else if (films - lastLine >= every) {
        lastLine = films;
        stream.write(`imported ${films} films\n`);
      }
    },
    /** Before another message: end the bar's line so the message starts clean. */
    interrupt() {
      if (tty) stream.write('\r\x1b[K');
    },
    done() {
      if (tty) {
        draw();
        stream.write('\n');
      }
    },
  };
}
