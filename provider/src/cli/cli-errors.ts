import { ConfigError } from '@usher/platform';
import { NameTaken, UnknownName } from '../access/access-store.ts';
import { EmailTaken, UnknownUser } from '../accounts/user-store.ts';
import { UnknownClient } from '../clients/client-changes.ts';
import { ClientExists } from '../clients/client-store.ts';
import { ResourceExists } from '../resources/resource-store.ts';

/** An expected failure: main prints `Error: <message>` and exits 1, never a stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A malformed command line: main prints the message and the usage of `topic`, and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly topic: string | null = null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Domain errors whose message is already meant for the operator (duplicates, unknown names). */
const operatorFacing = [
  CliError,
  ConfigError,
  NameTaken,
  UnknownName,
  UnknownUser,
  UnknownClient,
  EmailTaken,
  ClientExists,
  ResourceExists,
];

export function isExpectedFailure(error: unknown): error is Error {
  return operatorFacing.some((kind) => error instanceof kind);
}

/** One line for anything else; pg wraps connection failures in an AggregateError with no message. */
export function describeFailure(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return describeFailure(error.errors[0] ?? 'unknown error');
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return error.message || code || error.name;
  }
  return String(error);
}
