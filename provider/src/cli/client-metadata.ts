import { randomBytes } from 'node:crypto';
import { needsSecret } from '../clients/client-store.ts';
import { CliError } from './cli-errors.ts';

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

/**
 * Fills in client_id and (for confidential clients) client_secret, so the metadata oidc-provider
 * validates is exactly the metadata stored.
 */
export function withCredentials(input: ClientInput): ClientInput {
  const complete = { ...input };
  if (complete.client_id === undefined) complete.client_id = randomBytes(16).toString('base64url');
  if (complete.client_secret === undefined && needsSecret(complete)) {
    complete.client_secret = randomBytes(32).toString('base64url');
  }
  return complete;
}
