import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every oidc-provider model in one JSONB table (sessions, grants, codes, tokens, interactions...).
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 255).notNullable();
    t.jsonb('payload').notNullable();
    t.string('grant_id', 255);
    t.string('uid', 255);
    t.string('user_code', 255);
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.string('email', 320).notNullable();
    t.text('password_hash');
    t.string('first_name', 100);
    t.string('last_name', 100);
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.timestamp('blocked_at', { useTz: true });
    t.timestamps(true, true);
  });
  await knex.raw('create unique index users_email_unique on ?? (lower(email))', ['users']);

  await knex.schema.createTable('identities', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('provider', 100).notNullable();
    t.string('subject', 255).notNullable();
    t.string('email', 320);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['provider', 'subject']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('permissions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.string('name', 80).notNullable().unique();
    t.string('description', 256);
    // The resource server (audience) the permission matters to; null means every audience.
    t.string('resource', 2048);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('roles', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.string('name', 80).notNullable().unique();
    t.string('description', 256);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('role_permissions', (t) => {
    t.uuid('role_id').notNullable().references('id').inTable('roles').onDelete('CASCADE');
    t.uuid('permission_id').notNullable().references('id').inTable('permissions').onDelete('CASCADE');
    t.primary(['role_id', 'permission_id']);
  });

  await knex.schema.createTable('user_roles', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('role_id').notNullable().references('id').inTable('roles').onDelete('CASCADE');
    t.primary(['user_id', 'role_id']);
  });

  await knex.schema.createTable('user_permissions', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('permission_id').notNullable().references('id').inTable('permissions').onDelete('CASCADE');
    t.primary(['user_id', 'permission_id']);
  });

  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 255).primary();
    // RFC 7591 metadata, without the secret.
    t.jsonb('metadata').notNullable();
    // The secret itself (oidc-provider compares it in constant time), encrypted when a
    // key-encryption secret is configured.
    t.text('secret');
    t.boolean('first_party').notNullable().defaultTo(false);
    t.timestamps(true, true);
  });

  await knex.schema.createTable('client_permissions', (t) => {
    t.string('client_id', 255).notNullable().references('client_id').inTable('clients').onDelete('CASCADE');
    t.uuid('permission_id').notNullable().references('id').inTable('permissions').onDelete('CASCADE');
    t.primary(['client_id', 'permission_id']);
  });

  await knex.schema.createTable('resource_servers', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.string('identifier', 2048).notNullable().unique();
    t.string('name', 255).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 128).primary();
    t.string('alg', 16).notNullable();
    // next: published, not yet signing; active: signing; retired: published until publish_until.
    t.string('status', 16).notNullable();
    t.jsonb('public_jwk').notNullable();
    t.text('private_jwk').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('activated_at', { useTz: true });
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('publish_until', { useTz: true });
    t.index(['status']);
  });

  await knex.schema.createTable('sign_in_attempts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').references('id').inTable('users').onDelete('SET NULL');
    t.string('email', 320);
    t.string('ip_address', 64);
    t.string('user_agent', 512);
    t.string('method', 32).notNullable();
    t.string('result', 32).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'created_at']);
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.string('actor', 255);
    t.string('action', 100).notNullable();
    t.string('target_type', 50);
    t.string('target', 2048);
    t.jsonb('data');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
    t.index(['actor']);
    t.index(['target']);
  });

  await knex.schema.createTable('settings', (t) => {
    t.string('key', 100).primary();
    t.text('value').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'settings',
    'audit_events',
    'sign_in_attempts',
    'signing_keys',
    'resource_servers',
    'client_permissions',
    'clients',
    'user_permissions',
    'user_roles',
    'role_permissions',
    'roles',
    'permissions',
    'identities',
    'users',
    'oidc_payloads',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
