import type { Knex } from 'knex';

/**
 * A rotated refresh token names the token it replaced, by digest (never its value), so a client
 * that retries with the previous token within the reuse interval gets the same successor back
 * (oidc/refresh-token-adapter.ts). Unique: a refresh token has at most one successor.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.string('rotated_from', 64);
  });
  await knex.raw(
    'create unique index oidc_payloads_rotated_from_unique on ?? (rotated_from) where rotated_from is not null',
    ['oidc_payloads'],
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropColumn('rotated_from');
  });
}
