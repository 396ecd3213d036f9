import type { AccessStore, PermissionRow, TokenClaims } from './access-store.ts';

/**
 * How long the token endpoint may reuse the roles and permissions it read for a subject (a wire
 * fact, in the shared contracts): a change of grants records a claims-change event whose instant is
 * pushed claimsChangeLeadSeconds into the future, so any token issued from a stale cache entry is
 * covered by the revocation too.
 */
import { claimsCacheSeconds } from '@usher/contracts';

export { claimsCacheSeconds, claimsChangeLeadSeconds } from '@usher/contracts';

/** Claims per (subject, audience), kept for claimsCacheSeconds; a DB query per token otherwise. */
export function createClaimsCache(access: AccessStore) {
  const entries = new Map<string, { at: number; claims: Promise<TokenClaims> }>();

  function cached(key: string, load: () => Promise<TokenClaims>): Promise<TokenClaims> {
    const now = Date.now();
    const hit = entries.get(key);
    if (hit && now - hit.at < claimsCacheSeconds * 1000) return hit.claims;
    const claims = load();
    claims.catch(() => entries.delete(key));
    if (entries.size > 50_000) entries.clear();
    entries.set(key, { at: now, claims });
    return claims;
  }

  return {
    forUser: (userId: string, audience: string) =>
      cached(`u\u0000${userId}\u0000${audience}`, () => access.claimsForUser(userId, audience)),
    forClient: (clientId: string, audience: string) =>
      cached(`c\u0000${clientId}\u0000${audience}`, () => access.claimsForClient(clientId, audience)),
  };
}

export type ClaimsCache = ReturnType<typeof createClaimsCache>;

/**
 * A user's combined permissions (every audience) for the validation endpoints other services call
 * on every request: kept as briefly as token claims, so a grant change is seen as soon as tokens
 * see it. `undefined` means no such user.
 */
export function createCombinedPermissionsCache(access: AccessStore, userExists: (userId: string) => Promise<boolean>) {
  const entries = new Map<string, { at: number; rows: Promise<PermissionRow[] | undefined> }>();
  return function combined(userId: string): Promise<PermissionRow[] | undefined> {
    const now = Date.now();
    const hit = entries.get(userId);
    if (hit && now - hit.at < claimsCacheSeconds * 1000) return hit.rows;
    const rows = (async () => ((await userExists(userId)) ? access.combinedPermissions(userId) : undefined))();
    rows.catch(() => entries.delete(userId));
    if (entries.size > 50_000) entries.clear();
    entries.set(userId, { at: now, rows });
    return rows;
  };
}
