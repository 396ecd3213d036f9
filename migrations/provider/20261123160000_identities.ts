import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // What the upstream last told us about a linked identity: shown to the user on their account page,
  // and kept apart from the account's own email, which the identity never changes.
  await knex.schema.alterTable('identities', (t) => {
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.string('name', 255);
    t.string('picture', 2048);
    t.timestamp('last_used_at', { useTz: true });
  });
  // The profile picture of an account created from an upstream profile (the OpenID `picture` claim).
  await knex.schema.alterTable('users', (t) => {
    t.string('picture', 2048);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('picture');
  });
  await knex.schema.alterTable('identities', (t) => {
    t.dropColumn('last_used_at');
    t.dropColumn('picture');
    t.dropColumn('name');
    t.dropColumn('email_verified');
  });
}
