/** Everything a command reports goes to stdout through here; failures go through main. */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** JSON results are indented for people and parse the same for scripts. */
export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

export function printWarning(line: string): void {
  process.stderr.write(`Warning: ${line}\n`);
}

/** Plain columns for people; every command with a table also offers --json for scripts. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  print(line(headers));
  for (const row of rows) print(line(row));
}
