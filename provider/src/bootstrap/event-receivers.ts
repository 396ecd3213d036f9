import type { Logger } from '@usher/platform';
import type { Domain } from '../domain.ts';
import { receivePermission } from '../security-events/event-types.ts';

export interface EventReceiver {
  clientId: string;
  secret: string;
}

/**
 * Makes each configured receiver of the revocation feed a confidential client-credentials client
 * holding `security_events_receive`, with the given secret (so a launcher can hand the same secret
 * to the resource server). Idempotent; an existing client keeps its id and gets the secret.
 */
export async function ensureEventReceivers(domain: Domain, receivers: EventReceiver[], logger: Logger): Promise<void> {
  for (const { clientId, secret } of receivers) {
    await domain.knex.transaction(async (trx) => {
      const existing = await domain.clients.find(clientId, trx);
      if (!existing) {
        await domain.clients.create(
          {
            client_id: clientId,
            client_secret: secret,
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
            token_endpoint_auth_method: 'client_secret_basic',
            first_party: true,
          },
          trx,
        );
      } else if (existing.client_secret !== secret) {
        await domain.clients.rotateSecret(clientId, trx, secret);
      }
      await domain.access.grantPermissionToClient(clientId, receivePermission, trx);
    });
    logger.info({ clientId }, 'revocation feed receiver registered');
  }
}
