import type Koa from 'koa';

const absoluteForm = /^https?:\/\//i;

/**
 * Makes a Koa app (ours, and each oidc-provider instance) see every request at the issuer's origin,
 * whatever its Host, X-Forwarded-Host or X-Forwarded-Proto header or absolute request target says.
 * oidc-provider builds every absolute URL it hands out (discovery, the return to /auth after a
 * sign-in, device verification URIs) from `ctx.href`; left to the headers, a request sent with
 * `Host: evil.example` would send the browser there. The issuer is the one public name of the
 * provider, so discovery names it even to a resource server reaching the provider at an internal
 * address (the kit maps those URLs back to that address). Cookies follow: `ctx.secure` is true
 * exactly when the issuer is https, as the browser sees it behind a TLS-terminating proxy.
 */
export function pinToIssuerOrigin(app: Koa, issuer: string): void {
  const { host, protocol } = new URL(issuer);
  const scheme = protocol.slice(0, -1);
  const pathOf = (target: string) => {
    if (!absoluteForm.test(target)) return target;
    const url = URL.parse(target);
    return url ? `${url.pathname}${url.search}` : '/';
  };
  Object.defineProperties(app.request, {
    host: { get: () => host, configurable: true },
    protocol: { get: () => scheme, configurable: true },
    href: {
      get(this: Koa.Request) {
        return `${scheme}://${host}${pathOf(this.originalUrl)}`;
      },
      configurable: true,
    },
    URL: {
      get(this: Koa.Request) {
        return new URL(this.href);
      },
      configurable: true,
    },
  });
}
