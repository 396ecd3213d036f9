import { CliError } from '@usher/platform';

export type ClientInput = Record<string, unknown>;

export function parseClientJson(text: string): ClientInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`Invalid --json: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError('Invalid --json: must be a JSON object of client metadata');
  }
  return value as ClientInput;
}
