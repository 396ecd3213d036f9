import { isUniqueViolation, type Knex } from '@usher/platform';
import type { ChangeContext } from '../audit/change-context.ts';
import { createSessionStore } from '../oidc/session-store.ts';
import { eventTypes } from '../security-events/event-types.ts';
import type { NewEvent } from '../security-events/event-store.ts';
import { hashPassword, verifyPassword } from './password-hasher.ts';
import { passwordProblem } from './password-policy.ts';
import { registrationProblems, RegistrationRejected } from './registration.ts';
import { EmailTaken, normalizeEmail, type UserRef, type UserRow } from './user-store.ts';

/** A change the account's state does not allow (blocking oneself, unlinking the last sign-in method). */
export class AccountConflict extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AccountConflict';
  }
}

export interface ProfileChanges {
  email?: string | null | undefined;
  first_name?: string | null | undefined;
  last_name?: string | null | undefined;
}

const profile = (user: UserRow) => ({
  email: user.email,
  first_name: user.first_name,
  last_name: user.last_name,
  blocked: Boolean(user.blocked_at),
});

type Emit = (event: NewEvent) => Promise<void>;

/**
 * Changes to accounts, each in one transaction with its audit record (before and after) and the
 * revocation events that make resource servers drop tokens that no longer tell the truth.
 */
export function accountChanges({ domain, feed, actor }: ChangeContext) {
  const sessions = createSessionStore(domain.knex);

  const requireUser = (user: UserRef, trx: Knex) => domain.users.require(user, trx);

  /** Signs the account out everywhere (but `keep`), one session-revoked event per session. */
  async function endSessions(trx: Knex, emit: Emit, userId: string, keep: string | null) {
    for (const sessionId of await sessions.revokeAll(userId, keep, trx)) {
      await emit({ type: eventTypes.sessionRevoked, subject: userId, sessionId });
    }
  }

  /**
   * Stores the new password and ends every session but `keep`, with its grants. With a session to
   * keep, the revocation names the other sessions one by one: a subject-wide credential-change event
   * would retire the caller's own tokens too. Without one, that event retires every token the subject
   * holds, those of grants made outside a browser session included.
   */
  async function storePassword(trx: Knex, emit: Emit, user: UserRow, password: string, keep: string | null) {
    await domain.users.setPassword(user.id, await hashPassword(password), trx);
    await endSessions(trx, emit, user.id, keep);
    if (keep === null) {
      await emit({ type: eventTypes.credentialChange, subject: user.id, data: { credential_type: 'password' } });
    }
  }

  /** The profile update itself, in one transaction with its audit record. */
  const storeProfile = (userId: string, changes: ProfileChanges) =>
    feed.withEvents(async (trx) => {
      const before = await requireUser(userId, trx);
      const update: Record<string, unknown> = {};
      const email = changes.email?.trim();
      if (email && email !== before.email) {
        const problem = registrationProblems({ email, password: 'x'.repeat(64) }).email;
        if (problem) throw new RegistrationRejected({ email: problem });
        update.email = normalizeEmail(email);
        // A new address is unproven.
        if (email.toLowerCase() !== before.email.toLowerCase()) update.email_verified = false;
      }
      for (const field of ['first_name', 'last_name'] as const) {
        const value = changes[field]?.trim();
        if (value) update[field] = value;
      }
      if (!Object.keys(update).length) return before;
      let after: UserRow;
      try {
        [after] = (await trx('users')
          .where({ id: userId })
          .update({ ...update, updated_at: trx.fn.now() })
          .returning('*')) as UserRow[] as [UserRow];
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTaken(email ?? '');
        throw error;
      }
      await domain.audit.record(
        {
          actor,
          action: 'user.updated',
          targetType: 'user',
          target: userId,
          data: { before: profile(before), after: profile(after) },
        },
        trx,
      );
      return after;
    });

  /** Recorded outside the refused change's transaction, which rolled back. */
  const recordTakenEmail = (userId: string, email: string | null) =>
    domain.audit.record({
      actor,
      action: 'user.email_change_refused',
      targetType: 'user',
      target: userId,
      data: { email, reason: 'taken' },
    });

  return {
    /**
     * Email and names; empty values are ignored (CONTRACTS.md 1.4). A change to an address another
     * account has is refused (409 by contract) and audited after the rollback: each one tells the
     * caller that the address has an account, so administrators can see who probes.
     */
    async updateProfile(userId: string, changes: ProfileChanges): Promise<UserRow> {
      try {
        return await storeProfile(userId, changes);
      } catch (error) {
        if (error instanceof EmailTaken) await recordTakenEmail(userId, changes.email?.trim() ?? null);
        throw error;
      }
    },

    /**
     * The user's own change: proves the old password; signs out every other session (`keep` is the
     * one the request came from).
     */
    changePassword: (userId: string, oldPassword: string, newPassword: string, keep: string | null) =>
      feed.withEvents(async (trx, emit) => {
        const user = await requireUser(userId, trx);
        if (!(await verifyPassword(user.password_hash, oldPassword))) {
          throw new RegistrationRejected({ old_password: 'The current password is not correct' });
        }
        const problem = passwordProblem(newPassword, { email: user.email });
        if (problem) throw new RegistrationRejected({ new_password: problem });
        await storePassword(trx, emit, user, newPassword, keep);
        await domain.audit.record(
          {
            actor,
            action: 'user.password_changed',
            targetType: 'user',
            target: userId,
            data: { signed_out: 'others' },
          },
          trx,
        );
        return user;
      }),

    /** An administrator sets the password: every session of the user ends. */
    setPassword: (userId: string, newPassword: string) =>
      feed.withEvents(async (trx, emit) => {
        const user = await requireUser(userId, trx);
        const problem = passwordProblem(newPassword, { email: user.email });
        if (problem) throw new RegistrationRejected({ new_password: problem });
        await storePassword(trx, emit, user, newPassword, null);
        await domain.audit.record(
          { actor, action: 'user.password_set', targetType: 'user', target: userId, data: { signed_out: 'all' } },
          trx,
        );
        return user;
      }),

    /** No more sign-in or refresh (findAccount refuses blocked accounts); sessions end now. */
    block: (userId: string) =>
      feed.withEvents(async (trx, emit) => {
        if (userId === actor) throw new AccountConflict('You cannot block your own account');
        const before = await requireUser(userId, trx);
        if (before.blocked_at) return before;
        await domain.users.setBlocked(userId, true, trx);
        await endSessions(trx, emit, userId, null);
        await emit({ type: eventTypes.accountDisabled, subject: userId, data: { reason: 'blocked' } });
        const after = (await trx<UserRow>('users').where({ id: userId }).first())!;
        await domain.audit.record(
          {
            actor,
            action: 'user.blocked',
            targetType: 'user',
            target: userId,
            data: { before: profile(before), after: profile(after) },
          },
          trx,
        );
        return after;
      }),

    unblock: (userId: string) =>
      feed.withEvents(async (trx) => {
        const before = await requireUser(userId, trx);
        if (!before.blocked_at) return before;
        await domain.users.setBlocked(userId, false, trx);
        const after = (await trx<UserRow>('users').where({ id: userId }).first())!;
        await domain.audit.record(
          {
            actor,
            action: 'user.unblocked',
            targetType: 'user',
            target: userId,
            data: { before: profile(before), after: profile(after) },
          },
          trx,
        );
        return after;
      }),

    /**
     * Deletes the account. `precondition` may refuse (by throwing) once the user is found and locked,
     * so the check and the deletion are one transaction (the CLI deletes only superusers).
     */
    remove: (ref: UserRef, precondition?: (user: UserRow, trx: Knex) => Promise<void>) =>
      feed.withEvents(async (trx, emit) => {
        const user = await requireUser(ref, trx);
        const userId = user.id;
        if (userId === actor) throw new AccountConflict('You cannot delete your own account');
        await precondition?.(user, trx);
        const roles = await domain.access.userRoles(userId, trx);
        await endSessions(trx, emit, userId, null);
        await domain.users.delete(userId, trx);
        await emit({ type: eventTypes.accountPurged, subject: userId });
        await domain.audit.record(
          {
            actor,
            action: 'user.deleted',
            targetType: 'user',
            target: userId,
            data: { before: { ...profile(user), roles: roles.map((role) => role.name) } },
          },
          trx,
        );
      }),

    /** Ends one session of the user (the session's grants and refresh tokens go with it). */
    revokeSession: (userId: string, sessionId: string) =>
      feed.withEvents(async (trx, emit) => {
        if (!(await sessions.revoke(userId, sessionId, trx))) return false;
        await emit({ type: eventTypes.sessionRevoked, subject: userId, sessionId });
        await domain.audit.record(
          { actor, action: 'session.revoked', targetType: 'user', target: userId, data: { session: sessionId } },
          trx,
        );
        return true;
      }),

    /** Signs the user out everywhere ("log out on all devices"). */
    revokeAllSessions: (userId: string) =>
      feed.withEvents(async (trx, emit) => {
        await requireUser(userId, trx);
        const ended = await sessions.revokeAll(userId, null, trx);
        for (const sessionId of ended) await emit({ type: eventTypes.sessionRevoked, subject: userId, sessionId });
        // Grants outside browser sessions (device sign-in) have no session id to name: cover the subject.
        await emit({ type: eventTypes.tokenClaimsChange, subject: userId, data: { reason: 'signed_out_everywhere' } });
        await domain.audit.record(
          { actor, action: 'session.revoked_all', targetType: 'user', target: userId, data: { sessions: ended } },
          trx,
        );
      }),
  };
}

export type AccountChanges = ReturnType<typeof accountChanges>;
