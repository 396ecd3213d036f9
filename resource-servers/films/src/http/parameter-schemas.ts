import { z } from 'zod';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Films' parameter schemas (CONTRACTS 3.1): each names what a valid value is in its message, which
 * the 422 answer carries as `msg`. Query values arrive as strings.
 */
export const parameter = {
  pageNumber: () =>
    z.string({ error: 'must be an integer ≥ 0' }).regex(/^\d+$/, 'must be an integer ≥ 0').transform(Number).default(0),
  pageSize: (max: number, fallback: number) => {
    const message = `must be an integer from 1 to ${max}`;
    return z
      .string({ error: message })
      .regex(/^\d+$/, message)
      .transform(Number)
      .refine((size) => size >= 1 && size <= max, message)
      .default(fallback);
  },
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

/** `page[number]` and `page[size]`: the catalogue's pages hold up to 10,000 items (50 by default). */
export const cataloguePage = () => ({
  'page[number]': parameter.pageNumber(),
  'page[size]': parameter.pageSize(10000, 50),
});
