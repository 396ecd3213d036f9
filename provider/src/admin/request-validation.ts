import { HttpProblem, unstorableCharacterIn, type UnstorableCharacter } from '@usher/platform';
import type { Context } from 'koa';
import { z } from 'zod';
import { uuidPattern } from '../accounts/user-store.ts';

export interface FieldError {
  field: string;
  in: 'body' | 'query' | 'path';
  message: string;
}

/** 400 problem+json naming every offending field (`errors`). */
export class InvalidInput extends HttpProblem {
  constructor(errors: FieldError[]) {
    const detail = errors.map((error) => `${error.field}: ${error.message}`).join('; ');
    super(400, 'invalid-request', 'Bad Request', detail, { extensions: { errors } });
  }
}

/** 404 problem+json naming the path parameter or body member that holds the unknown id or name. */
export class UnknownReference extends HttpProblem {
  constructor(error: Error | string, field: string, where: FieldError['in']) {
    const message = typeof error === 'string' ? error : error.message;
    super(404, 'not-found', 'Not Found', message, { extensions: { errors: [{ field, in: where, message }] } });
  }
}

/** The value at `path` in what was sent, or undefined when it is absent. */
function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const typeNames: Record<string, string> = { array: 'an array', object: 'an object', int: 'an integer' };

/**
 * A missing field is "Required"; one of the wrong type says which type it must be. (zod leaves the
 * input out of its issues, so presence is read from what was sent.)
 */
function issueMessage(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code !== 'invalid_type') return issue.message;
  if (valueAt(input, issue.path) === undefined) return 'Required';
  return `Must be ${typeNames[issue.expected] ?? `a ${issue.expected}`}`;
}

function fieldErrors(error: z.ZodError, where: FieldError['in'], input: unknown): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    in: where,
    message: issueMessage(issue, input),
  }));
}

const nulMessage = 'Must not contain NUL characters';
const unstorableMessages: Record<UnstorableCharacter, string> = {
  nul: nulMessage,
  'unpaired-surrogate': 'Must not contain unpaired surrogates (text must be valid Unicode)',
};

/**
 * Where a JSON value holds a character PostgreSQL cannot store (U+0000, an unpaired surrogate), as a
 * field path and the message for it, or null. Such input is refused here instead of failing in the
 * database with a 500 (jsonb) or being stored altered (text).
 */
function unstorableAt(value: unknown, path: string): FieldError | null {
  if (typeof value === 'string') {
    const found = unstorableCharacterIn(value);
    return found ? { field: path || '(body)', in: 'body', message: unstorableMessages[found] } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  for (const [key, item] of Object.entries(value)) {
    const at = `${path ? `${path}.` : ''}${key}`;
    const inKey = unstorableCharacterIn(key);
    if (inKey) return { field: at, in: 'body', message: unstorableMessages[inKey] };
    const found = unstorableAt(item, at);
    if (found) return found;
  }
  return null;
}

/** The JSON body, checked against the route's schema (unknown members are dropped). */
export function parseBody<T extends z.ZodType>(ctx: Context, schema: T): z.infer<T> {
  const body = (ctx.request as { body?: unknown }).body;
  const unstorable = unstorableAt(body, '');
  if (unstorable) throw new InvalidInput([unstorable]);
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new InvalidInput(fieldErrors(result.error, 'body', body ?? {}));
  return result.data;
}

/** Query parameters (bracketed names such as `page[size]` included), checked against a schema. */
export function parseQuery<T extends z.ZodType>(ctx: Context, schema: T): z.infer<T> {
  const values: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(ctx.querystring)) values[key] = value;
  const unstorable = unstorableAt(values, '');
  if (unstorable) throw new InvalidInput([{ ...unstorable, in: 'query' }]);
  const result = schema.safeParse(values);
  if (!result.success) throw new InvalidInput(fieldErrors(result.error, 'query', values));
  return result.data;
}

/** Refuses a path with an encoded NUL character (`%00`): no name or id of ours can hold one. */
export async function refuseNulInPath(ctx: Context, next: () => Promise<unknown>) {
  if (/%00/.test(ctx.path)) throw new InvalidInput([{ field: '(path)', in: 'path', message: nulMessage }]);
  await next();
}

/** A user id in the path: a canonical UUID, else 400 (CONTRACTS.md 1.4). */
export function userIdParam(value: string | undefined): string {
  if (!value || !uuidPattern.test(value)) {
    throw new InvalidInput([{ field: 'user_id', in: 'path', message: 'Must be a UUID' }]);
  }
  return value.toLowerCase();
}

/**
 * A client id in the path: 1..255 visible ASCII characters, else 400. Wider than what the API
 * creates (URI-unreserved characters), as the CLI may carry over clients with other ids.
 */
export function clientIdParam(value: string | undefined): string {
  if (!value || !/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new InvalidInput([{ field: 'client_id', in: 'path', message: '1..255 visible ASCII characters' }]);
  }
  return value;
}

/** Paging of lists: `page[number]` from 0, `page[size]` 1..500 (default 50). */
export const pageParams = {
  'page[number]': z.coerce.number().int().min(0).default(0),
  'page[size]': z.coerce.number().int().min(1).max(500).default(50),
};

export const nullableText = (max: number) => z.string().max(max).nullable().optional();
