import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Revocation events, delivered to resource servers as Security Event Tokens (RFC 8417) by poll
  // (RFC 8936) and Redis pub/sub. Rows outlive every token they cover, then are purged.
  await knex.schema.createTable('security_events', (t) => {
    t.bigIncrements('id');
    t.uuid('jti').notNullable().unique().defaultTo(knex.raw('gen_random_uuid()'));
    t.string('event_type', 200).notNullable();
    t.string('subject', 255);
    t.string('session_id', 255);
    t.string('token_jti', 255);
    // Tokens of `subject` issued before this instant are covered.
    t.timestamp('revoked_before', { useTz: true });
    t.jsonb('data');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
  await knex.schema.createTable('security_event_acks', (t) => {
    t.string('receiver', 255).notNullable();
    t.bigInteger('event_id').notNullable().references('id').inTable('security_events').onDelete('CASCADE');
    t.primary(['receiver', 'event_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('security_event_acks');
  await knex.schema.dropTableIfExists('security_events');
}
