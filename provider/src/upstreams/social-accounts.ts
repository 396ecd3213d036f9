import type { Knex } from '@usher/platform';
import { defaultUserRole } from '../access/bootstrap.ts';
import { EmailTaken, type UserRow } from '../accounts/user-store.ts';
import type { Domain } from '../domain.ts';
import { IdentityTaken, type IdentityDetails, type IdentityStore } from './identity-store.ts';
import { MissingEmail, UnverifiedEmail } from './upstream-errors.ts';
import type { UpstreamProfile } from './upstream-profile.ts';

export type SocialOutcome =
  /** Signed in: a known identity, a new account, or a link to the account already signed in. */
  | { kind: 'signed-in'; user: UserRow; created: boolean; linked: boolean }
  /** The verified email belongs to an account: the user must prove it (its password) before we link. */
  | { kind: 'link-required'; user: UserRow }
  | { kind: 'blocked'; user: UserRow };

export const identityDetails = (profile: UpstreamProfile): IdentityDetails => ({
  email: profile.email,
  emailVerified: profile.emailVerified,
  name: profile.name,
  picture: profile.picture,
});

/**
 * The rules of signing in with an upstream (CONTRACTS.md 1.1): an identity is found by (upstream,
 * subject) only; a first sign-in creates an account from a verified profile; an email that matches an
 * account links only when verified and proven (password, or already signed in to that account).
 */
export function createSocialAccounts(domain: Domain, identities: IdentityStore) {
  async function createAccount(upstream: string, profile: UpstreamProfile & { email: string }): Promise<UserRow> {
    return domain.knex.transaction(async (trx: Knex) => {
      const user = await domain.users.create(
        {
          email: profile.email,
          passwordHash: null,
          firstName: profile.givenName ?? (profile.familyName ? null : profile.name?.slice(0, 100)),
          lastName: profile.familyName,
          emailVerified: true,
          picture: profile.picture,
        },
        trx,
      );
      const roles: string[] = [];
      if (await trx('roles').where({ name: defaultUserRole }).first()) {
        await domain.access.grantRoleToUser(user.id, defaultUserRole, trx);
        roles.push(defaultUserRole);
      }
      await domain.audit.record(
        {
          actor: user.id,
          action: 'user.created',
          targetType: 'user',
          target: user.id,
          data: { email: user.email, roles, via: upstream },
        },
        trx,
      );
      await identities.link(
        {
          userId: user.id,
          provider: upstream,
          subject: profile.subject,
          details: identityDetails(profile),
          actor: user.id,
        },
        trx,
      );
      return user;
    });
  }

  /** Links the upstream identity to `userId` (who proved the account); IdentityTaken when linked already. */
  async function link(upstream: string, profile: UpstreamProfile, userId: string): Promise<void> {
    await domain.knex.transaction((trx: Knex) =>
      identities.link(
        { userId, provider: upstream, subject: profile.subject, details: identityDetails(profile), actor: userId },
        trx,
      ),
    );
  }

  async function resolve(
    upstream: string,
    profile: UpstreamProfile,
    signedInAccountId: string | undefined,
    attempt = 0,
  ): Promise<SocialOutcome> {
    const identity = await identities.find(upstream, profile.subject);
    const known = identity ? await domain.users.findById(identity.user_id) : undefined;
    if (identity && known) {
      await identities.touch(identity.id, identityDetails(profile));
      return known.blocked_at
        ? { kind: 'blocked', user: known }
        : { kind: 'signed-in', user: known, created: false, linked: false };
    }
    if (!profile.email) throw new MissingEmail('no email');
    const email = profile.email;
    // Never by email alone: an unverified upstream email neither creates nor links an account.
    if (!profile.emailVerified) throw new UnverifiedEmail('email not verified');
    const existing = await domain.users.findByEmail(email);
    try {
      if (!existing) {
        const user = await createAccount(upstream, { ...profile, email });
        return { kind: 'signed-in', user, created: true, linked: true };
      }
      if (existing.blocked_at) return { kind: 'blocked', user: existing };
      if (signedInAccountId !== existing.id) return { kind: 'link-required', user: existing };
      await link(upstream, profile, existing.id);
      return { kind: 'signed-in', user: existing, created: false, linked: true };
    } catch (error) {
      // A concurrent first sign-in created the account or the identity a moment ago: decide again.
      if ((error instanceof EmailTaken || error instanceof IdentityTaken) && attempt === 0) {
        return resolve(upstream, profile, signedInAccountId, 1);
      }
      throw error;
    }
  }

  return { resolve, link };
}

export type SocialAccounts = ReturnType<typeof createSocialAccounts>;
