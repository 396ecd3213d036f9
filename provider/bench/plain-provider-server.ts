/**
 * Bench child: a plain oidc-provider with its default memory adapter and one static confidential
 * client, the yardstick for our token endpoint. Argument: the access-token algorithm (ES256 | RS256).
 * Prints {port, clientId, clientSecret, resource} as one JSON line when listening on 127.0.0.1.
 */
import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';
import { announceReady } from '@usher/test-support/bench';

const alg = process.argv[2] === 'RS256' ? 'RS256' : 'ES256';
const resource = 'https://films.bench.test';
const clientId = 'bench-machine-client';
const clientSecret = randomBytes(32).toString('base64url');

function signingKey(kind: 'ec' | 'rsa'): JsonWebKey {
  const { privateKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }),
    use: 'sig',
    alg: kind === 'ec' ? 'ES256' : 'RS256',
    kid: `${kind}-bench`,
  };
}

const server = createServer();
server.keepAliveTimeout = 65_000; // as in provider/src/main.ts
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  // RS256 is there because OpenID Connect requires it for ID tokens; access tokens use `alg`.
  jwks: { keys: [signingKey('ec'), signingKey('rsa')] as NonNullable<Configuration['jwks']>['keys'] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      getResourceServerInfo: async (_ctx, audience) => ({
        audience,
        scope: 'openid profile email offline_access', // as Usher's resource servers; nothing asks for it
        accessTokenFormat: 'jwt',
        accessTokenTTL: 1800,
        jwt: { sign: { alg } },
      }),
    },
  },
});
server.on('request', provider.callback());

announceReady({ port, clientId, clientSecret, resource }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
