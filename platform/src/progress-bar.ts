/**
 * Progress of long command-line work on stderr: a bar redrawn in place at a terminal, and plain
 * lines every so many items otherwise, so that logs and CI output stay readable.
 */

export interface ProgressBarOptions {
  /** Where to draw (stderr by default: stdout stays the command's result). */
  stream?: { write(text: string): unknown; isTTY?: boolean | undefined };
  /**
   * What the bar measures and how much there is: items (rows of a table), or the bytes of a file
   * read while its items are counted apart. 0 when unknown.
   */
  total: { items: number } | { bytes: number };
  /** What the counted items are, e.g. `films`. */
  unit: string;
  /** The plain line's verb: `imported 3000 films`. */
  verb?: string;
  /** A plain line every this many items (default 1000). */
  every?: number;
}

export interface ProgressBar {
  /** Work done since the last call, in the measure of `total` (items, or bytes). */
  advance(amount: number): void;
  /** Items finished so far, when `total` is in bytes (films in a file). */
  items(count: number): void;
  /** Ends the bar's line before another message, so that the message starts clean. */
  interrupt(): void;
  /** Draws the final state and ends the line. */
  done(): void;
}

const width = 30;
/** A terminal is redrawn at most this often: a bar drawn per row would cost more than the rows. */
const redrawMs = 50;

export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const verb = options.verb ?? 'processed';
  const every = options.every ?? 1000;
  const inItems = 'items' in options.total;
  const whole = 'items' in options.total ? options.total.items : options.total.bytes;
  let measured = 0;
  let counted = 0;
  let lastLine = 0;
  let lastDraw = 0;
  const count = () => (inItems ? measured : counted);

  const draw = () => {
    lastDraw = Date.now();
    const share = whole ? Math.min(1, measured / whole) : 1;
    const filled = Math.round(share * width);
    stream.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(share * 100)}% ${count()} ${options.unit}`,
    );
  };

  const report = () => {
    if (tty) {
      if (Date.now() - lastDraw >= redrawMs) draw();
    } else if (count() - lastLine >= every) {
      lastLine = count();
      stream.write(`${verb} ${count()} ${options.unit}\n`);
    }
  };

  return {
    advance(amount) {
      measured += amount;
      report();
    },
    items(total) {
      counted = total;
      report();
    },
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
