import { HttpProblem } from '@usher/platform';
import { z } from 'zod';

export interface FieldError {
  loc: ['query' | 'path' | 'body', string];
  msg: string;
}

/** 422 with the failing parameters in `errors` (CONTRACTS 3.1). */
export class ValidationFailed extends HttpProblem {
  constructor(errors: FieldError[]) {
    super(422, 'validation-failed', 'Unprocessable Content', 'Request parameters are invalid', {
      extensions: { errors },
    });
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parameter schemas: each names what a valid value is in its message. */
export const parameter = {
  pageNumber: () =>
    z.string({ error: 'must be an integer ≥ 0' }).regex(/^\d+$/, 'must be an integer ≥ 0').transform(Number).default(0),
  pageSize: () =>
    z
      .string({ error: 'must be an integer from 1 to 10000' })
      .regex(/^\d+$/, 'must be an integer from 1 to 10000')
      .transform(Number)
      .refine((size) => size >= 1 && size <= 10000, 'must be an integer from 1 to 10000')
      .default(50),
  sort: <const T extends readonly [string, ...string[]]>(fields: T) =>
    z.enum(fields, { error: `must be one of: ${fields.join(', ')}` }).optional(),
  uuid: () =>
    z
      .string({ error: 'must be a UUID' })
      .regex(uuidPattern, 'must be a UUID')
      .transform((id) => id.toLowerCase()),
  query: () =>
    z
      .string({ error: 'field required: 1..256 characters' })
      .refine((text) => text.trim().length > 0, 'must not be empty')
      .refine((text) => text.length <= 256, 'must be at most 256 characters')
      // PostgreSQL refuses NUL in text: left in, it would be a 500.
      .refine((text) => !text.includes('\u0000'), 'must not contain NUL characters'),
};

type Source = Record<string, unknown>;

/**
 * Validates `source` (the query string or the path parameters) against `shape`, whose keys are the
 * wire names (`page[size]`). Unknown parameters are ignored; a repeated one is malformed.
 */
/** Routes pass the same shape object on every request: build (and JIT-compile) its schema once. */
const objectSchemas = new WeakMap<z.ZodRawShape, z.ZodObject>();
function objectSchema<S extends z.ZodRawShape>(shape: S): z.ZodObject<S> {
  let schema = objectSchemas.get(shape);
  if (!schema) objectSchemas.set(shape, (schema = z.object(shape)));
  return schema as z.ZodObject<S>;
}

export function parseParameters<S extends z.ZodRawShape>(
  where: 'query' | 'path',
  source: Source,
  shape: S,
): { data: z.infer<z.ZodObject<S>>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const input: Source = {};
  for (const name of Object.keys(shape)) {
    const value = source[name];
    if (Array.isArray(value)) errors.push({ loc: [where, name], msg: 'must be given once' });
    else if (value !== undefined) input[name] = value;
  }
  const parsed = objectSchema(shape).safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      if (!errors.some((error) => error.loc[1] === name)) errors.push({ loc: [where, name], msg: issue.message });
    }
  }
  return { data: (parsed.success ? parsed.data : {}) as z.infer<z.ZodObject<S>>, errors };
}

/** Throws one 422 naming every failing parameter of every source, path first. */
export function throwIfInvalid(...results: { errors: FieldError[] }[]): void {
  const errors = results.flatMap((result) => result.errors);
  if (errors.length) throw new ValidationFailed(errors);
}
