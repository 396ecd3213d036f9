/** Above this size a token starts to hurt (headers, cookies, proxies); we warn, as Auth0 and Okta do. */
export const largeTokenBytes = 4096;

/**
 * An upper estimate of a signed JWT's size from its payload: header and payload in base64url plus
 * an RSA signature.
 */
export function estimateTokenBytes(payload: Record<string, unknown>): number {
  return Math.ceil((JSON.stringify(payload).length + 100) * (4 / 3)) + 350;
}
