import { claimsCacheSeconds, claimsChangeLeadSeconds } from '@usher/contracts';

/**
 * The timings of the wire that tests assert, taken from the shared contracts (never from a service's
 * source), so a test waits exactly as long as the contract says and no longer.
 */

/** CONTRACTS.md 2: with Redis configured, a resource server refuses a revoked token within a second. */
export const revocationDelayWithRedisMs = 1000;

/**
 * Waits until tokens minted from now on are past the lead of a claims change made before this call
 * (revoked_before = change + claimsChangeLeadSeconds, published rounded up to whole seconds, and
 * compared with whole-second `iat`): only then does a new token escape that change's event.
 */
export function pastClaimsChangeLead(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, (claimsChangeLeadSeconds + 1) * 1000 + 100));
}

/**
 * Waits until the token endpoint's claims cache has aged out: a grant made straight in the access
 * store (no change event) reaches tokens for a subject that already had one only after this.
 */
export function pastClaimsCache(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, claimsCacheSeconds * 1000 + 50));
}
