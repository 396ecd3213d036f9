import type { Knex } from '@usher/platform';

const generationKey = 'cache_generation';

/** The catalogue's cache generation: part of every cache key; each import bumps it in its own transaction. */
export async function readCacheGeneration(knex: Knex): Promise<string> {
  const row = (await knex('films.settings').select('value').where({ key: generationKey }).first()) as
    { value: string } | undefined;
  return row?.value ?? '0';
}

export async function bumpCacheGeneration(trx: Knex | Knex.Transaction): Promise<void> {
  await trx.raw(
    `insert into films.settings (key, value) values (?, '1')
     on conflict (key) do update set value = (settings.value::bigint + 1)::text`,
    [generationKey],
  );
}
