import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface StandInIssuer {
  issuer: string;
  /** An access token (`typ: at+jwt`, five minutes) for `audience`, with `claims` on top. */
  sign(audience: string, claims?: Record<string, unknown>): Promise<string>;
  close(): void;
}

/**
 * A stand-in for the provider's discovery and JWKS, served from the test with a key it holds: for
 * tokens the provider would never issue, or where a provider process would only add minutes.
 */
export async function startStandInIssuer(): Promise<StandInIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'stand-in', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    issuer,
    sign: (audience, claims = {}) =>
      new SignJWT({ scope: 'openid', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'stand-in', typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject('user-1')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    close: () => server.close(),
  };
}
