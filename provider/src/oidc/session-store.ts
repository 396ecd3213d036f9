import type { Knex } from '@usher/platform';

/** A browser session as oidc-provider stores it (the Session model, in oidc_payloads). */
export interface SessionSummary {
  id: string;
  accountId: string;
  signedInAt: Date | null;
  expiresAt: Date | null;
  clientIds: string[];
}

interface SessionPayload {
  uid?: string;
  accountId?: string;
  loginTs?: number;
  authorizations?: Record<string, { grantId?: string; sid?: string }>;
}

const live = (knex: Knex) => (q: Knex.QueryBuilder) =>
  q.whereNull('expires_at').orWhere('expires_at', '>', knex.fn.now());

function summary(row: { payload: SessionPayload; expires_at: Date | null }): SessionSummary {
  return {
    id: row.payload.uid ?? '',
    accountId: row.payload.accountId ?? '',
    signedInAt: row.payload.loginTs ? new Date(row.payload.loginTs * 1000) : null,
    expiresAt: row.expires_at,
    clientIds: Object.keys(row.payload.authorizations ?? {}).sort(),
  };
}

/**
 * Sessions and grants of an account, read from and revoked in the adapter's table. Revoking deletes
 * the session and every grant made in it, with each grant's refresh tokens and codes, so nothing
 * issued in that session can be refreshed; the caller records the revocation event in the same
 * transaction, so access tokens already out stop working at resource servers too.
 */
export function createSessionStore(knex: Knex) {
  async function sessionRows(trx: Knex, accountId: string) {
    return (await trx('oidc_payloads')
      .where({ model: 'Session' })
      .whereRaw(`payload->>'accountId' = ?`, [accountId])
      .where(live(trx))
      .select('id', 'payload', 'expires_at')) as { id: string; payload: SessionPayload; expires_at: Date | null }[];
  }

  async function deleteGrants(trx: Knex, grantIds: string[]) {
    if (!grantIds.length) return;
    await trx('oidc_payloads').whereIn('grant_id', grantIds).delete();
    await trx('oidc_payloads').where({ model: 'Grant' }).whereIn('id', grantIds).delete();
  }

  const grantsOf = (payload: SessionPayload) =>
    Object.values(payload.authorizations ?? {})
      .map((authorization) => authorization.grantId)
      .filter((id): id is string => typeof id === 'string');

  return {
    async list(accountId: string, trx: Knex = knex): Promise<SessionSummary[]> {
      const rows = await sessionRows(trx, accountId);
      return rows
        .filter((row) => row.payload.uid)
        .map(summary)
        .sort((a, b) => (b.signedInAt?.getTime() ?? 0) - (a.signedInAt?.getTime() ?? 0));
    },

    /** Revokes one session (by its uid, the `sid` of its tokens); false when it is not the account's. */
    async revoke(accountId: string, sessionId: string, trx: Knex = knex): Promise<boolean> {
      const row = (await sessionRows(trx, accountId)).find((candidate) => candidate.payload.uid === sessionId);
      if (!row) return false;
      await deleteGrants(trx, grantsOf(row.payload));
      await trx('oidc_payloads').where({ model: 'Session', id: row.id }).delete();
      return true;
    },

    /**
     * Revokes every session and every grant of the account (also grants made outside a browser
     * session, such as device sign-ins), except the session `keep`. Answers the revoked session ids.
     */
    async revokeAll(accountId: string, keep: string | null, trx: Knex = knex): Promise<string[]> {
      const rows = await sessionRows(trx, accountId);
      const kept = rows.find((row) => keep !== null && row.payload.uid === keep);
      const keptGrants = new Set(kept ? grantsOf(kept.payload) : []);
      const grants = (await trx('oidc_payloads')
        .where({ model: 'Grant' })
        .whereRaw(`payload->>'accountId' = ?`, [accountId])
        .pluck('id')) as string[];
      await deleteGrants(
        trx,
        grants.filter((id) => !keptGrants.has(id)),
      );
      const revoked = rows.filter((row) => row !== kept);
      if (revoked.length) {
        await trx('oidc_payloads')
          .where({ model: 'Session' })
          .whereIn(
            'id',
            revoked.map((row) => row.id),
          )
          .delete();
      }
      return revoked.map((row) => row.payload.uid ?? '').filter(Boolean);
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
