import { randomUUID } from 'node:crypto';
import type { AccessStore } from './access-store.ts';
import type { ResourceStore } from '../resources/resource-store.ts';
import { estimateTokenBytes, largeTokenBytes } from './token-size.ts';

export interface AudienceClaims {
  audience: string;
  name: string;
  roles: string[];
  permissions: string[];
  approximate_bytes: number;
  over_limit: boolean;
}

/**
 * The `roles` and `permissions` claims a user's access token would carry for each audience (the
 * admin API and every registered resource server), with the token's approximate size, from the
 * same queries the token endpoint runs.
 */
export async function previewClaims(options: {
  access: AccessStore;
  resources: ResourceStore;
  issuer: string;
  adminAudience: string;
  userId: string;
  tokenTtl: number;
}): Promise<AudienceClaims[]> {
  const { access, resources, issuer, adminAudience, userId, tokenTtl } = options;
  const audiences = [
    { identifier: adminAudience, name: 'Usher admin API' },
    ...(await resources.list()).map((row) => ({ identifier: row.identifier, name: row.name })),
  ];
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(
    audiences.map(async ({ identifier, name }) => {
      const claims = await access.claimsForUser(userId, identifier);
      // A representative payload: the registered claims oidc-provider sets, and ours.
      const bytes = estimateTokenBytes({
        iss: issuer,
        sub: userId,
        aud: identifier,
        jti: randomUUID(),
        iat: now,
        exp: now + tokenTtl,
        client_id: 'x'.repeat(22),
        scope: 'openid profile email offline_access',
        sid: 'x'.repeat(21),
        ...claims,
      });
      return {
        audience: identifier,
        name,
        roles: claims.roles,
        permissions: claims.permissions,
        approximate_bytes: bytes,
        over_limit: bytes > largeTokenBytes,
      };
    }),
  );
}
