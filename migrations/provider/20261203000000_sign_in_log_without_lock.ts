import type { Knex } from 'knex';

/**
 * The sign-in log stops referencing users with a foreign key. Checking the key share-locks the
 * account's row on every attempt, and several attempts on one account at once turn that into a
 * MultiXact per attempt: the dearest part of recording an attempt. The log is an append-only record
 * (as Keycloak's login events are, with no key to users either); deleting a user clears `user_id`
 * in the same transaction instead (user-store.ts), as ON DELETE SET NULL did.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sign_in_attempts', (t) => {
    t.dropForeign(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('sign_in_attempts')
    .whereNotNull('user_id')
    .whereNotExists((q) => q.select(knex.raw('1')).from('users').whereRaw('users.id = sign_in_attempts.user_id'))
    .update({ user_id: null });
  await knex.schema.alterTable('sign_in_attempts', (t) => {
    t.foreign('user_id').references('id').inTable('users').onDelete('SET NULL');
  });
}
