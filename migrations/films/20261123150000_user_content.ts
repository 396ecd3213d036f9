import type { Knex } from 'knex';

/**
 * User-generated content (CONTRACTS 3.4): bookmarks, film likes, reviews and their likes, viewing
 * progress and watch history. Users are token subjects (provider ids), kept as text.
 *
 * Film references carry no foreign key on purpose: `import --replace` truncates the catalogue, and
 * a reference would either block that or wipe everyone's content; rows of a film that left the
 * catalogue are skipped by the lists (they join the films) and come back if the film is imported again.
 *
 * `seq` comes from one sequence and is renewed on every write: it orders "newest first" exactly,
 * even when two writes share a timestamp.
 */
export async function up(knex: Knex): Promise<void> {
  const schema = () => knex.schema.withSchema('films');
  await knex.raw('create sequence films.user_content_seq');
  const seq = (t: Knex.CreateTableBuilder) =>
    t.bigInteger('seq').notNullable().defaultTo(knex.raw("nextval('films.user_content_seq')"));

  await schema().createTable('bookmarks', (t) => {
    t.uuid('id').primary();
    t.text('user_id').notNullable();
    t.uuid('film_uuid').notNullable();
    t.timestamp('created', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    seq(t);
    t.unique(['user_id', 'film_uuid'], { indexName: 'bookmarks_user_film' });
    t.index(['user_id', 'seq'], 'bookmarks_user_seq');
  });

  await schema().createTable('film_likes', (t) => {
    t.text('user_id').notNullable();
    t.uuid('film_uuid').notNullable();
    t.smallint('like_type').notNullable();
    t.timestamp('created', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    seq(t);
    t.primary(['user_id', 'film_uuid']);
    t.index(['film_uuid', 'like_type'], 'film_likes_film');
    t.index(['user_id', 'seq'], 'film_likes_user_seq');
  });
  await knex.raw('alter table films.film_likes add constraint film_likes_type check (like_type in (0, 1))');

  await schema().createTable('reviews', (t) => {
    t.uuid('id').primary();
    t.uuid('film_uuid').notNullable();
    t.text('user_id').notNullable();
    t.text('text').notNullable();
    t.timestamp('created', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    seq(t);
    t.index(['film_uuid', 'seq'], 'reviews_film_seq');
    t.index(['user_id', 'seq'], 'reviews_user_seq');
  });
  await knex.raw(
    'alter table films.reviews add constraint reviews_text_length check (char_length(text) between 1 and 5000)',
  );

  await schema().createTable('review_likes', (t) => {
    t.uuid('review_id').notNullable().references('id').inTable('films.reviews').onDelete('CASCADE');
    t.text('user_id').notNullable();
    t.smallint('like_type').notNullable();
    t.timestamp('created', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['review_id', 'user_id']);
  });
  await knex.raw('alter table films.review_likes add constraint review_likes_type check (like_type in (0, 1))');

  await schema().createTable('progress', (t) => {
    t.text('user_id').notNullable();
    t.uuid('film_uuid').notNullable();
    t.integer('position').notNullable();
    t.integer('duration');
    t.boolean('finished').notNullable();
    t.timestamp('updated', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    seq(t);
    t.primary(['user_id', 'film_uuid']);
    t.index(['user_id', 'finished', 'seq'], 'progress_user_unfinished');
  });
  await knex.raw(`alter table films.progress add constraint progress_position check (
    position >= 0 and (duration is null or (duration >= 0 and position <= duration)))`);

  await schema().createTable('watch_history', (t) => {
    t.bigIncrements('id').primary();
    t.text('user_id').notNullable();
    t.uuid('film_uuid').notNullable();
    t.integer('position').notNullable();
    t.timestamp('watched_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'id'], 'watch_history_user');
  });
  await knex.raw('alter table films.watch_history add constraint watch_history_position check (position >= 0)');
}

export async function down(knex: Knex): Promise<void> {
  const schema = () => knex.schema.withSchema('films');
  for (const table of ['watch_history', 'progress', 'review_likes', 'reviews', 'film_likes', 'bookmarks']) {
    await schema().dropTableIfExists(table);
  }
  await knex.raw('drop sequence if exists films.user_content_seq');
}
