/**
 * Who the provider is and where this process reaches it can differ: tokens carry the public issuer
 * as `iss`, but inside a container network that public URL may lead nowhere (or back to this very
 * container). A URL the provider publishes under its public issuer is then fetched at the same path
 * under the internal address; any other URL is left alone.
 */
export function reachableUrl(url: string, issuer: string, providerUrl: string): string {
  if (providerUrl === issuer) return url;
  // The separator check keeps `https://usher.example.com.evil` from passing as under the issuer.
  if (url === issuer || url.startsWith(`${issuer}/`) || url.startsWith(`${issuer}?`)) {
    return `${providerUrl}${url.slice(issuer.length)}`;
  }
  return url;
}
