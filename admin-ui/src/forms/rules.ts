/** A check of one field's text (the form's other values at hand): the message to show, or null. */
export type Rule = (value: string, values: Readonly<Record<string, string>>) => string | null;

export const required =
  (label: string): Rule =>
  (value) =>
    value.trim() ? null : `${label} is required.`;

export const maxLength =
  (max: number): Rule =>
  (value) =>
    value.length > max ? `Use at most ${max} characters.` : null;

export const minLength =
  (min: number): Rule =>
  (value) =>
    value && value.length < min ? `Use at least ${min} characters.` : null;

export const matches =
  (pattern: RegExp, message: string): Rule =>
  (value) =>
    value && !pattern.test(value) ? message : null;

export const email: Rule = (value) =>
  value && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? 'Enter an email address like name@example.com.' : null;

export const httpUrl: Rule = (value) => {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? null : 'Use an http:// or https:// address.';
  } catch {
    return 'Enter a full address, like https://app.example.com/callback.';
  }
};

/** A date and time as a `datetime-local` field holds it (the browser's local time). */
export const dateTime: Rule = (value) =>
  value && Number.isNaN(new Date(value).getTime()) ? 'Enter a date and a time.' : null;

/** Later than the form's `other` date-time field, when both are given (`message` says which is which). */
export const after =
  (other: string, message: string): Rule =>
  (value, values) => {
    const [start, end] = [new Date(values[other] ?? '').getTime(), new Date(value).getTime()];
    if (!value || Number.isNaN(start) || Number.isNaN(end)) return null;
    return end > start ? null : message;
  };

/** One http(s) URL per line. */
export const httpUrlLines: Rule = (value, values) => {
  for (const line of lines(value)) {
    const problem = httpUrl(line, values);
    if (problem) return `${line}: ${problem}`;
  }
  return null;
};

export function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The rules of the admin API's names and texts (CONTRACTS.md 1.2), so forms refuse what it would. */
export const permissionNameRules: Rule[] = [
  required('Name'),
  matches(/^[A-Za-z0-9_.:-]{1,80}$/, 'Use 1–80 letters, digits or _ . : - (no spaces).'),
];
export const roleNameRules: Rule[] = [required('Name'), maxLength(80)];
export const descriptionRules: Rule[] = [maxLength(256)];
export const passwordRules: Rule[] = [required('Password'), minLength(8), maxLength(256)];

export function firstProblem(value: string, rules: Rule[] = [], values: Record<string, string> = {}): string | null {
  for (const rule of rules) {
    const problem = rule(value, values);
    if (problem) return problem;
  }
  return null;
}
