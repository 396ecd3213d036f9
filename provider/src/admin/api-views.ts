import type { PermissionRow, RoleRow } from '../access/access-store.ts';
import type { UserRow } from '../accounts/user-store.ts';
import type { AuditRow } from '../audit/audit-log.ts';
import type { ClientMetadata } from '../clients/client-store.ts';
import type { SigningKey } from '../keys/key-store.ts';
import type { SessionSummary } from '../oidc/session-store.ts';
import type { IdentityRow } from '../upstreams/identity-store.ts';
import type { components } from '@usher/contracts/admin-api';

/** The response shapes of the admin API (provider/openapi/admin-api.yaml), from our rows. */
export type Schemas = components['schemas'];

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);

export const permissionView = (row: PermissionRow): Schemas['Permission'] => ({
  uuid: row.id,
  name: row.name,
  description: row.description,
  resource: row.resource,
});

export const roleView = (row: RoleRow, permissions: PermissionRow[]): Schemas['Role'] => ({
  uuid: row.id,
  name: row.name,
  description: row.description,
  permissions: permissions.map(permissionView),
});

export const userView = (row: UserRow): Schemas['User'] => ({
  uuid: row.id,
  email: row.email,
  first_name: row.first_name,
  last_name: row.last_name,
});

export const userDetailsView = (row: UserRow): Schemas['UserDetails'] => ({
  ...userView(row),
  email_verified: row.email_verified,
  blocked: Boolean(row.blocked_at),
  blocked_at: iso(row.blocked_at),
  created: iso(row.created_at)!,
  updated: iso(row.updated_at)!,
});

export const loginView = (row: {
  id: string;
  ip_address: string | null;
  user_agent: string | null;
  method: string;
  result: string;
  created_at: Date;
}): Schemas['Login'] => ({
  uuid: row.id,
  ip_address: row.ip_address,
  time: iso(row.created_at)!,
  user_agent: row.user_agent,
  method: row.method,
  result: row.result,
});

export const sessionView = (
  session: SessionSummary,
  clientNames: Map<string, string | null>,
  currentSessionId: string | null,
): Schemas['Session'] => ({
  id: session.id,
  signed_in: iso(session.signedInAt),
  expires: iso(session.expiresAt),
  clients: session.clientIds.map((clientId) => ({
    client_id: clientId,
    client_name: clientNames.get(clientId) ?? null,
  })),
  current: session.id === currentSessionId,
});

export const identityView = (row: IdentityRow): Schemas['Identity'] => ({
  uuid: row.id,
  provider: row.provider,
  subject: row.subject,
  email: row.email,
  created: iso(row.created_at)!,
});

export const clientView = (metadata: ClientMetadata, permissions: string[]): Schemas['Client'] => {
  const { client_secret: _secret, ...rest } = metadata as ClientMetadata & { client_secret?: string };
  return { ...rest, client_id: metadata.client_id, first_party: metadata.first_party === true, permissions };
};

export const keyView = (key: SigningKey): Schemas['SigningKey'] => ({
  kid: key.kid,
  alg: key.alg,
  status: key.status,
  created: iso(key.createdAt)!,
  activated: iso(key.activatedAt),
  publish_until: iso(key.publishUntil),
  public_jwk: { ...key.publicJwk },
});

export const auditView = (row: AuditRow): Schemas['AuditEvent'] => ({
  uuid: row.id,
  time: iso(row.created_at)!,
  actor: row.actor,
  type: row.action,
  target_type: row.target_type,
  target: row.target,
  data: row.data,
});
