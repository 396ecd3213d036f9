import { z } from 'zod';
import type { FilmRecord } from '../data/catalogue-writer.ts';

const uuid = z.uuid({ error: 'must be a UUID' }).transform((id) => id.toLowerCase());
/** PostgreSQL text cannot hold NUL: one such row would otherwise abort the whole import. */
const plainText = () => z.string().refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');
const person = z.object({ uuid, full_name: plainText().trim().min(1).max(255) });

/** One row of an import file: a `Film` of CONTRACTS 3.1 (a genre may carry its description). */
export const importedFilm = z.object({
  uuid,
  title: plainText().trim().min(1).max(500),
  description: plainText()
    .max(20_000)
    .nullish()
    .transform((text) => text ?? null),
  imdb_rating: z
    .number()
    .min(0)
    .max(10)
    .refine((rating) => Math.abs(rating * 10 - Math.round(rating * 10)) < 1e-9, 'at most one decimal')
    .nullish()
    .transform((rating) => rating ?? null),
  genre: z
    .array(z.object({ uuid, name: plainText().trim().min(1).max(255), description: plainText().max(2000).nullish() }))
    .default([]),
  actors: z.array(person).default([]),
  writers: z.array(person).default([]),
  directors: z.array(person).default([]),
});

/** Validates one row; the reason names the first failing field. */
export function parseFilm(value: unknown): { film: FilmRecord } | { reason: string } {
  const parsed = importedFilm.safeParse(value);
  if (parsed.success) return { film: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'row';
  return { reason: `${where}: ${issue.message}` };
}
