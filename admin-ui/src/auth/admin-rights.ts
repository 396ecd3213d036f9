/** The permissions that open the admin UI (CONTRACTS.md 1.2): either one is enough. */
export const adminPermissions = ['permissions_admin', 'all_all'] as const;

/**
 * The `permissions` claim of an access token. The payload is read, not verified: the provider
 * checks every call, so this only decides which page to show.
 */
export function tokenPermissions(accessToken: string): string[] {
  const payload = accessToken.split('.')[1];
  if (!payload) return [];
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (char) => char.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { permissions?: unknown };
    return Array.isArray(claims.permissions) ? claims.permissions.filter((p) => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

export function hasAdminRights(accessToken: string): boolean {
  const held = tokenPermissions(accessToken);
  return adminPermissions.some((permission) => held.includes(permission));
}
