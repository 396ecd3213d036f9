import type { Knex } from 'knex';

/**
 * The admin API: `users.blocked_at` exists since the first migration (sign-in and token issuance
 * already refuse blocked accounts); what the API adds is lookups by subject (the admin API checks
 * its callers' tokens against the revocation feed) and audit queries by type and time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('security_events', (t) => {
    t.index(['subject'], 'security_events_subject_index');
  });
  await knex.schema.alterTable('audit_events', (t) => {
    t.index(['action', 'created_at'], 'audit_events_action_created_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['action', 'created_at'], 'audit_events_action_created_index');
  });
  await knex.schema.alterTable('security_events', (t) => {
    t.dropIndex(['subject'], 'security_events_subject_index');
  });
}
