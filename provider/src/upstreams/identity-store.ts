import { isUniqueViolation, type Knex } from '@usher/platform';
import type { AuditLog } from '../audit/audit-log.ts';
import { uuidPattern } from '../accounts/user-store.ts';

/** An account's link to an upstream identity provider: `subject` at `provider` signs in as `user_id`. */
export interface IdentityRow {
  id: string;
  user_id: string;
  /** `google`, or the id of a configured OpenID Connect upstream. */
  provider: string;
  subject: string;
  email: string | null;
  email_verified: boolean;
  name: string | null;
  picture: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

export interface IdentityDetails {
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
}

/** This upstream identity is already linked, to this or another account. */
export class IdentityTaken extends Error {
  constructor(provider: string) {
    super(`This ${provider} identity is already linked to an account`);
    this.name = 'IdentityTaken';
  }
}

export class IdentityNotFound extends Error {
  constructor() {
    super('No such linked identity for this user');
    this.name = 'IdentityNotFound';
  }
}

/** Unlinking would leave the account with no password and no identity: nobody could sign in to it. */
export class LastSignInMethod extends Error {
  constructor() {
    super('This is the only way to sign in to the account; set a password or link another first');
    this.name = 'LastSignInMethod';
  }
}

const columns = (details: IdentityDetails) => ({
  email: details.email?.slice(0, 320) ?? null,
  email_verified: details.emailVerified,
  name: details.name?.slice(0, 255) ?? null,
  picture: details.picture?.slice(0, 2048) ?? null,
});

/**
 * Queries of the identities table. An identity is found by (provider, subject) only, never by email.
 * Listing and unlinking take a user id, so the account pages and the admin API share them.
 */
export function createIdentityStore(knex: Knex, audit: AuditLog) {
  return {
    async find(provider: string, subject: string, trx: Knex = knex): Promise<IdentityRow | undefined> {
      return trx<IdentityRow>('identities').where({ provider, subject }).first();
    },

    async listForUser(userId: string, trx: Knex = knex): Promise<IdentityRow[]> {
      if (!uuidPattern.test(userId)) return [];
      return trx<IdentityRow>('identities')
        .where({ user_id: userId })
        .orderBy([{ column: 'created_at' }, 'id']);
    },

    /** Links inside the caller's transaction (with its audit event); IdentityTaken when already linked. */
    async link(
      input: { userId: string; provider: string; subject: string; details: IdentityDetails; actor: string },
      trx: Knex,
    ): Promise<IdentityRow> {
      try {
        // A savepoint, so that a duplicate does not abort the caller's transaction.
        const row = await trx.transaction(async (inner) => {
          const [inserted] = await inner<IdentityRow>('identities')
            .insert({
              user_id: input.userId,
              provider: input.provider,
              subject: input.subject,
              ...columns(input.details),
              last_used_at: inner.fn.now(),
            })
            .returning('*');
          return inserted!;
        });
        await audit.record(
          {
            actor: input.actor,
            action: 'identity.linked',
            targetType: 'user',
            target: input.userId,
            data: { provider: input.provider, identity: row.id, email: row.email },
          },
          trx,
        );
        return row;
      } catch (error) {
        if (isUniqueViolation(error)) throw new IdentityTaken(input.provider);
        throw error;
      }
    },

    /** A sign-in with this identity: keeps what the upstream says now, for the account page. */
    async touch(id: string, details: IdentityDetails, trx: Knex = knex): Promise<void> {
      await trx('identities')
        .where({ id })
        .update({ ...columns(details), last_used_at: trx.fn.now() });
    },

    /**
     * Removes a linked identity of `userId`, unless it is the account's last way to sign in (no
     * password and no other identity). Returns the identities left.
     */
    async unlink(userId: string, identityId: string, actor: string): Promise<IdentityRow[]> {
      if (!uuidPattern.test(userId) || !uuidPattern.test(identityId)) throw new IdentityNotFound();
      return knex.transaction(async (trx) => {
        // Locking the account serialises concurrent unlinks, so two of them cannot both pass the check.
        const user = (await trx('users').where({ id: userId }).forUpdate().first('password_hash')) as
          { password_hash: string | null } | undefined;
        const identities = await trx<IdentityRow>('identities').where({ user_id: userId });
        const target = identities.find((identity) => identity.id === identityId);
        if (!user || !target) throw new IdentityNotFound();
        if (!user.password_hash && identities.length <= 1) throw new LastSignInMethod();
        await trx('identities').where({ id: identityId }).delete();
        await audit.record(
          {
            actor,
            action: 'identity.unlinked',
            targetType: 'user',
            target: userId,
            data: { provider: target.provider, identity: target.id },
          },
          trx,
        );
        return identities
          .filter((identity) => identity.id !== identityId)
          .sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
      });
    },
  };
}

export type IdentityStore = ReturnType<typeof createIdentityStore>;
