import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

/**
 * The rules a client registration must meet, whoever registers it (the admin API and the CLI both
 * go through client-changes.ts, which applies them before oidc-provider's own metadata check).
 * Every refusal names the member at fault, and its message starts with that member's name.
 */
export class ClientMetadataRefused extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ClientMetadataRefused';
  }
}

/**
 * The members oidc-provider recognises with the features provider-factory.ts enables, plus our
 * `first_party`. Anything else would be stored and shown but never used, so it is refused.
 */
const knownMembers = new Set([
  'application_type',
  'client_id',
  'client_id_issued_at',
  'client_name',
  'client_secret',
  'client_secret_expires_at',
  'client_uri',
  'contacts',
  'default_acr_values',
  'default_max_age',
  'dpop_bound_access_tokens',
  'first_party',
  'grant_types',
  'id_token_signed_response_alg',
  'initiate_login_uri',
  'jwks',
  'jwks_uri',
  'logo_uri',
  'policy_uri',
  'post_logout_redirect_uris',
  'redirect_uris',
  'require_auth_time',
  'require_pushed_authorization_requests',
  'response_modes',
  'response_types',
  'scope',
  'sector_identifier_uri',
  'subject_type',
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'tos_uri',
]);

const secretlessMethods = new Set(['none', 'private_key_jwt', 'self_signed_tls_client_auth', 'tls_client_auth']);

/** oidc-provider's defaults for members a registration leaves out. */
const defaults = { grant_types: ['authorization_code'], response_types: ['code'] };
const authMethodOf = (metadata: Record<string, unknown>) =>
  (metadata.token_endpoint_auth_method as string | undefined) ?? 'client_secret_basic';

/** Whether the client authenticates with a client secret (a confidential client without keys). */
export function needsSecret(metadata: Record<string, unknown>): boolean {
  return !secretlessMethods.has(authMethodOf(metadata));
}

/** Secrets given by the operator: RFC 6749 A.2 characters, long and varied enough to resist guessing. */
const secretLength = { min: 32, max: 512 };
const minimumSecretBits = 80;

/**
 * Bits of a string by its own character frequencies (Shannon), a rough estimate of its entropy:
 * 32 random hex digits score about 115 (rarely under 90), `abab…` 32, one repeated character 0. It
 * catches carelessness (a word, a pattern), not every weak choice, which is why secrets are
 * generated unless one is given.
 */
function estimatedBits(value: string): number {
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) {
    const share = count / value.length;
    perCharacter -= share * Math.log2(share);
  }
  return perCharacter * value.length;
}

/** A secret the operator supplies instead of the generated one. */
function checkSuppliedSecret(metadata: Record<string, unknown>): void {
  const secret = metadata.client_secret;
  const refuse = (message: string) => new ClientMetadataRefused('client_secret', `client_secret ${message}`);
  if (!needsSecret(metadata)) {
    throw refuse(`is not used with token_endpoint_auth_method ${authMethodOf(metadata)}; leave it out`);
  }
  if (typeof secret !== 'string') throw refuse('must be a string');
  if (!/^[\x20-\x7e]*$/.test(secret)) throw refuse('must be printable ASCII characters (RFC 6749 Appendix A.2)');
  if (secret.length < secretLength.min) {
    throw refuse(`must be at least ${secretLength.min} characters; leave it out to have one generated`);
  }
  if (secret.length > secretLength.max) throw refuse(`must be at most ${secretLength.max} characters`);
  // A shorter string repeated, or a few characters over and over: guessable whatever its length.
  if (/^(.+)\1+$/.test(secret) || estimatedBits(secret) < minimumSecretBits) {
    throw refuse(
      'is too predictable (a repeated pattern or too few different characters); leave it out to have one generated',
    );
  }
}

/** Refuses members no rule knows; `null` (a removal) is allowed for any member. */
function checkMembers(members: Record<string, unknown>): void {
  for (const [member, value] of Object.entries(members)) {
    if (value !== null && !knownMembers.has(member)) {
      throw new ClientMetadataRefused(member, `${member} is not a client metadata member this provider knows`);
    }
  }
}

function stringList(metadata: Record<string, unknown>, member: 'grant_types' | 'response_types' | 'redirect_uris') {
  const value = metadata[member] ?? (member === 'redirect_uris' ? [] : defaults[member]);
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ClientMetadataRefused(member, `${member} must be an array of strings`);
  }
  return value as string[];
}

/** The rules between members, on the whole registration (after an update's merge). */
function checkCombination(metadata: Record<string, unknown>): void {
  const method = metadata.token_endpoint_auth_method;
  if (method !== undefined && typeof method !== 'string') {
    throw new ClientMetadataRefused('token_endpoint_auth_method', 'token_endpoint_auth_method must be a string');
  }
  const grantTypes = stringList(metadata, 'grant_types');
  const responseTypes = stringList(metadata, 'response_types').flatMap((type) => type.split(' '));
  const redirectUris = stringList(metadata, 'redirect_uris');
  // Anyone who knows a public client's id could use it: the grant is for confidential clients only.
  if (grantTypes.includes('client_credentials') && authMethodOf(metadata) === 'none') {
    throw new ClientMetadataRefused(
      'grant_types',
      'grant_types must not include client_credentials for a public client (token_endpoint_auth_method none): ' +
        'RFC 6749 §4.4 allows that grant to confidential clients only',
    );
  }
  if (grantTypes.includes('authorization_code')) {
    if (!redirectUris.length) {
      throw new ClientMetadataRefused(
        'redirect_uris',
        'redirect_uris must contain at least one URI for the authorization_code grant',
      );
    }
    // oidc-provider would otherwise drop the grant silently, leaving a client that cannot sign in.
    if (!responseTypes.includes('code')) {
      throw new ClientMetadataRefused(
        'response_types',
        'response_types must include code for the authorization_code grant',
      );
    }
  }
}

/**
 * A new client's registration, checked: its id and (when it authenticates with a secret) its
 * secret are generated unless given, and a given secret must meet the secret rules.
 */
export function newRegistration(input: Record<string, unknown>): Record<string, unknown> {
  checkMembers(input);
  const metadata = { ...input };
  if (metadata.client_secret === undefined || metadata.client_secret === null) {
    delete metadata.client_secret;
    if (needsSecret(metadata)) metadata.client_secret = randomBytes(32).toString('base64url');
  } else {
    checkSuppliedSecret(metadata);
  }
  if (metadata.client_id === undefined) metadata.client_id = randomBytes(16).toString('base64url');
  checkCombination(metadata);
  return metadata;
}

/**
 * A stored client's registration after `changes` (members given replace the stored ones, `null`
 * removes one), checked; null when it changes nothing. The id cannot change, nor the secret
 * (rotating it is its own change).
 */
export function changedRegistration(
  current: Record<string, unknown>,
  changes: Record<string, unknown>,
): Record<string, unknown> | null {
  checkMembers(changes);
  if (changes.client_id !== undefined && changes.client_id !== current.client_id) {
    throw new ClientMetadataRefused('client_id', 'client_id cannot change');
  }
  if (changes.client_secret !== undefined) {
    throw new ClientMetadataRefused('client_secret', 'client_secret cannot change here: rotate the secret instead');
  }
  const merged: Record<string, unknown> = { ...current };
  for (const [member, value] of Object.entries(changes)) {
    if (member === 'client_id') continue;
    if (value === null) delete merged[member];
    else merged[member] = value;
  }
  if (isDeepStrictEqual(merged, current)) return null;
  checkCombination(merged);
  return merged;
}

/** The member an oidc-provider refusal is about: its descriptions start with the member's name. */
export function memberOfProblem(description: string): string {
  const first = /^([a-z_]+)\b/.exec(description)?.[1];
  return first && knownMembers.has(first) ? first : '(body)';
}
