import type { Knex } from 'knex';

/**
 * The catalogue: films, genres, persons and their links. Full-text search runs on generated
 * tsvector columns with GIN indexes ('english' configuration: case-insensitive, stemmed, whole words).
 * Every name is schema-qualified: on the embedded database the services share one PGlite session,
 * whose search_path another service's connection may have set.
 */
export async function up(knex: Knex): Promise<void> {
  const schema = () => knex.schema.withSchema('films');
  await schema().createTable('films', (t) => {
    t.uuid('uuid').primary();
    t.text('title').notNullable();
    t.text('description');
    t.decimal('imdb_rating', 3, 1);
  });
  await knex.raw(`
    alter table films.films add column search tsvector generated always as (
      setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
      setweight(to_tsvector('english', coalesce(description, '')), 'B')
    ) stored`);
  await knex.raw('create index films_search_gin on films.films using gin (search)');
  await knex.raw('create index films_rating on films.films (imdb_rating desc nulls last, title, uuid)');

  await schema().createTable('genres', (t) => {
    t.uuid('uuid').primary();
    t.text('name').notNullable();
    t.text('description');
  });
  await knex.raw(`
    alter table films.genres add column search tsvector generated always as (
      setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
      setweight(to_tsvector('english', coalesce(description, '')), 'B')
    ) stored`);
  await knex.raw('create index genres_search_gin on films.genres using gin (search)');

  await schema().createTable('persons', (t) => {
    t.uuid('uuid').primary();
    t.text('full_name').notNullable();
  });
  await knex.raw(`
    alter table films.persons add column search tsvector generated always as (
      to_tsvector('english', coalesce(full_name, ''))
    ) stored`);
  await knex.raw('create index persons_search_gin on films.persons using gin (search)');

  await schema().createTable('film_genres', (t) => {
    t.uuid('film_uuid').notNullable().references('uuid').inTable('films.films').onDelete('CASCADE');
    t.uuid('genre_uuid').notNullable().references('uuid').inTable('films.genres').onDelete('CASCADE');
    t.primary(['film_uuid', 'genre_uuid']);
    t.index(['genre_uuid']);
  });

  await schema().createTable('film_persons', (t) => {
    t.uuid('film_uuid').notNullable().references('uuid').inTable('films.films').onDelete('CASCADE');
    t.uuid('person_uuid').notNullable().references('uuid').inTable('films.persons').onDelete('CASCADE');
    t.text('role').notNullable();
    t.primary(['film_uuid', 'person_uuid', 'role']);
    t.index(['person_uuid']);
  });
  await knex.raw(
    `alter table films.film_persons add constraint film_persons_role check (role in ('actor', 'writer', 'director'))`,
  );

  // Small key/value rows; `cache_generation` is part of every cache key, bumped by each import.
  await schema().createTable('settings', (t) => {
    t.text('key').primary();
    t.text('value').notNullable();
  });
  await knex('films.settings').insert({ key: 'cache_generation', value: '1' });
}

export async function down(knex: Knex): Promise<void> {
  const schema = () => knex.schema.withSchema('films');
  for (const table of ['film_persons', 'film_genres', 'persons', 'genres', 'films', 'settings']) {
    await schema().dropTableIfExists(table);
  }
}
