export interface ReportRow {
  measure: string;
  figure: string;
  comparison: string;
  ratio: string;
  goal: string;
  result: string;
}

const columns: [keyof ReportRow, string][] = [
  ['measure', 'Measure'],
  ['figure', 'Figure'],
  ['comparison', 'Comparison figure'],
  ['ratio', 'Ratio'],
  ['goal', 'Goal'],
  ['result', 'Result'],
];

/** A plain-text table, one row per figure, columns padded to their widest cell. */
export function formatTable(rows: ReportRow[]): string {
  const widths = columns.map(([key, title]) => Math.max(title.length, ...rows.map((row) => row[key].length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join(' | ');
  return [
    line(columns.map(([, title]) => title)),
    widths.map((width) => '-'.repeat(width)).join('-+-'),
    ...rows.map((row) => line(columns.map(([key]) => row[key]))),
  ].join('\n');
}

export const perSecond = (value: number) => `${value >= 100 ? value.toFixed(0) : value.toFixed(1)}/s`;
export const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
export const times = (value: number) => `${value.toFixed(2)}x`;
