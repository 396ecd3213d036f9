import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';

export interface JoseRate {
  alg: string;
  perSecond: number;
  count: number;
}

/** Runs `operation` one call after another for `seconds` (after a short warm-up); calls per second. */
async function rate(alg: string, seconds: number, operation: () => Promise<unknown>): Promise<JoseRate> {
  const loop = async (ms: number) => {
    let count = 0;
    const deadline = performance.now() + ms;
    while (performance.now() < deadline) {
      await operation();
      count += 1;
    }
    return count;
  };
  await loop(300);
  const started = performance.now();
  const count = await loop(seconds * 1000);
  return { alg, perSecond: count / ((performance.now() - started) / 1000), count };
}

/** An access token with what a resource server needs to verify it. */
export interface IssuedToken {
  issuer: string;
  audience: string;
  token: string;
  /** The public key that signed it, from the issuer's JWKS. */
  jwk: JWK;
}

/** Reads the issuer's JWKS for the key that signed `token` (while the issuer still runs). */
export async function issuedToken(issuer: string, audience: string, token: string): Promise<IssuedToken> {
  const { kid } = decodeProtectedHeader(token);
  const response = await fetch(`${issuer}/jwks`);
  const { keys } = (await response.json()) as { keys: JWK[] };
  const jwk = keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error(`no key ${kid} in ${issuer}/jwks`);
  return { issuer, audience, token, jwk };
}

/**
 * What a resource server pays per request: jose's jwtVerify of one access token with an imported
 * public key, awaited one after the other.
 */
export async function measureVerification(issued: IssuedToken, seconds: number): Promise<JoseRate> {
  const { issuer, audience, token } = issued;
  const { alg } = decodeProtectedHeader(token);
  if (!alg) throw new Error('token has no alg');
  const key = await importJWK(issued.jwk, alg);
  const options = { issuer, audience, algorithms: [alg] };
  return rate(alg, seconds, () => jwtVerify(token, key, options));
}

/**
 * What the provider pays per token for the signature alone (oidc-provider signs with jose too):
 * the same header and claims signed with a fresh key of the token's algorithm. The rest of issuing
 * does not depend on the algorithm, and unlike a throughput run this does not move with the load of
 * other processes on the machine.
 */
export async function measureSigning(issued: IssuedToken, seconds: number): Promise<JoseRate> {
  const header = decodeProtectedHeader(issued.token);
  const { alg } = header;
  if (!alg) throw new Error('token has no alg');
  const { privateKey } = await generateKeyPair(alg);
  const claims = decodeJwt(issued.token);
  return rate(alg, seconds, () => new SignJWT(claims).setProtectedHeader({ ...header, alg }).sign(privateKey));
}
