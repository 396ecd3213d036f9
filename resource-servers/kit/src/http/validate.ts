import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { answerFailure } from './error-answers.ts';
import type { FieldError } from './failures.ts';

/**
 * What a route takes: path parameters, query parameters (keys are the wire names, `page[size]`) and
 * a JSON body, each a zod schema.
 */
export interface InputSchemas {
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType<Record<string, unknown>>;
}

type Part<S, K extends string> = S extends { [P in K]: infer T } ? (T extends z.ZodType ? z.output<T> : never) : object;

/** The parsed input of a route, typed by its schemas. */
export interface ValidInput<S extends InputSchemas> {
  params: Part<S, 'params'>;
  query: Part<S, 'query'>;
  body: Part<S, 'body'>;
}

/** validate()'s middleware, which also hands its parsed input to the route's handler. */
export interface Validation<S extends InputSchemas> extends RequestHandler {
  input(req: Request): ValidInput<S>;
}

/**
 * Path or query parameters: only the names the schema knows are read (others are ignored), a
 * repeated one is malformed, and each failing name is reported once.
 */
function parameters(where: 'path' | 'query', source: Record<string, unknown>, schema: z.ZodObject) {
  const errors: FieldError[] = [];
  const input: Record<string, unknown> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = source[name];
    if (Array.isArray(value)) errors.push({ in: where, name, message: 'must be given once' });
    else if (value !== undefined) input[name] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '');
      if (!errors.some((error) => error.name === name)) errors.push({ in: where, name, message: issue.message });
    }
  }
  return { data: parsed.success ? parsed.data : {}, errors };
}

/**
 * A JSON body: anything but a JSON object counts as an object with no fields; each failing field is
 * reported once, a missing one as `field required`. Unknown fields are ignored.
 */
function body(source: unknown, schema: z.ZodType<Record<string, unknown>>) {
  const input =
    typeof source === 'object' && source !== null && !Array.isArray(source) ? (source as Record<string, unknown>) : {};
  const parsed = schema.safeParse(input);
  if (parsed.success) return { data: parsed.data, errors: [] };
  const errors: FieldError[] = [];
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? '');
    if (errors.some((error) => error.name === name)) continue;
    errors.push({ in: 'body', name, message: input[name] === undefined ? 'field required' : issue.message });
  }
  return { data: {}, errors };
}

/**
 * Checks path, query and body against their schemas at once: on failure one `validation-failed`
 * answer names every failing input (path first, then query, then body) through the app's renderer;
 * on success the handler reads the parsed values with `.input(req)`.
 */
export function validate<const S extends InputSchemas>(schemas: S): Validation<S> {
  const parsedInputs = new WeakMap<Request, ValidInput<S>>();
  const check = function validateInput(req: Request, res: Response, next: NextFunction) {
    const params = schemas.params ? parameters('path', req.params, schemas.params) : { data: {}, errors: [] };
    const query = schemas.query
      ? parameters('query', req.query as Record<string, unknown>, schemas.query)
      : { data: {}, errors: [] };
    const json = schemas.body ? body(req.body, schemas.body) : { data: {}, errors: [] };
    const errors = [...params.errors, ...query.errors, ...json.errors];
    if (errors.length) return answerFailure(req, res, { kind: 'validation-failed', errors });
    parsedInputs.set(req, { params: params.data, query: query.data, body: json.data } as ValidInput<S>);
    next();
  };
  return Object.assign(check, {
    input(req: Request): ValidInput<S> {
      const parsed = parsedInputs.get(req);
      if (!parsed) throw new Error('validate() did not run before this handler');
      return parsed;
    },
  });
}
