import type { z } from 'zod';
import type { FieldError } from './validation.ts';

/**
 * Validates a JSON body against `schema` (an object schema; its keys are the body's field names).
 * Every failing field is named once with `loc: ["body", field]`; a missing field says so. A body
 * that is not a JSON object counts as one with no fields. Unknown fields are ignored.
 */
export function parseBody<S extends z.ZodType<Record<string, unknown>>>(
  body: unknown,
  schema: S,
): { data: z.infer<S>; errors: FieldError[] } {
  const input =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const parsed = schema.safeParse(input);
  if (parsed.success) return { data: parsed.data, errors: [] };
  const errors: FieldError[] = [];
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? '');
    if (errors.some((error) => error.loc[1] === name)) continue;
    errors.push({ loc: ['body', name], msg: input[name] === undefined ? 'field required' : issue.message });
  }
  return { data: {} as z.infer<S>, errors };
}
