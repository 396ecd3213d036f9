import type Provider from 'oidc-provider';

/**
 * Client credentials only for clients that authenticate (RFC 6749 §4.4), whatever metadata is
 * stored: a public client (`token_endpoint_auth_method: none`) proves nothing but its id, which is
 * no secret. The token endpoint asks the client whether a grant is allowed before running it, so
 * such a client is answered as for a grant it was never given (400 invalid_request). The
 * registration rules refuse the combination too (clients/registration-rules.ts); this covers
 * clients stored before them or written around them.
 */
export function refuseClientCredentialsToPublicClients(provider: Provider): void {
  const client = provider.Client.prototype;
  const grantTypeAllowed = client.grantTypeAllowed;
  client.grantTypeAllowed = function (this: typeof client, type: string) {
    if (type === 'client_credentials' && this.clientAuthMethod === 'none') return false;
    return grantTypeAllowed.call(this, type);
  };
}
