import type { Logger } from '@usher/platform';
import { ClientExists } from '../clients/client-store.ts';
import type { Domain } from '../domain.ts';

/** The admin UI's client id (the UI server's ADMIN_UI_CLIENT_ID defaults to it). */
export const adminUiClientId = 'usher-admin';

/** The admin UI's registration: a first-party browser app, so a public client with PKCE. */
export function adminUiClientMetadata(adminUiUrl: string) {
  const base = adminUiUrl.replace(/\/$/, '');
  return {
    client_id: adminUiClientId,
    client_name: 'Usher admin',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${base}/callback`],
    post_logout_redirect_uris: [`${base}/`],
    first_party: true,
  };
}

const managed = ['client_name', 'application_type', 'token_endpoint_auth_method', 'grant_types', 'response_types'];

function differs(stored: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  const keys = [...managed, 'redirect_uris', 'post_logout_redirect_uris', 'first_party'];
  return keys.some((key) => JSON.stringify(stored[key]) !== JSON.stringify(wanted[key]));
}

/**
 * Makes sure the admin UI at `adminUiUrl` (USHER_ADMIN_UI_URL) can sign in: registers its public
 * client, or brings it back to this registration when the UI moved. Idempotent; safe when several
 * instances start at once (the loser of the insert race updates to the same metadata).
 */
export async function ensureAdminUiClient(
  domain: Domain,
  adminUiUrl: string | undefined,
  logger: Logger,
): Promise<void> {
  if (!adminUiUrl) return;
  const wanted = adminUiClientMetadata(adminUiUrl);
  const stored = await domain.clients.find(adminUiClientId);
  if (!stored) {
    try {
      await domain.clients.create(wanted);
      logger.info({ clientId: adminUiClientId, redirectUri: wanted.redirect_uris[0] }, 'admin UI client registered');
      return;
    } catch (error) {
      if (!(error instanceof ClientExists)) throw error;
    }
  } else if (!differs(stored, wanted)) {
    return;
  }
  await domain.clients.update(adminUiClientId, wanted);
  logger.info({ clientId: adminUiClientId, redirectUri: wanted.redirect_uris[0] }, 'admin UI client updated');
}
