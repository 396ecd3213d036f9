/**
 * What the UI needs to know about its provider, read at run time from /config.json (written by the
 * UI server from its settings), so that one build works against any provider.
 */
export interface RuntimeConfig {
  /** The provider's issuer URL (OpenID discovery, the admin API). */
  issuer: string;
  /** This app's public client at the provider. */
  clientId: string;
  /** The admin API's resource identifier: the access token is requested for it. */
  adminAudience: string;
}

export async function loadRuntimeConfig(fetcher: typeof fetch = fetch): Promise<RuntimeConfig> {
  const response = await fetcher('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  const body = (await response.json()) as Partial<Record<keyof RuntimeConfig, unknown>>;
  const read = (key: keyof RuntimeConfig) => {
    const value = body[key];
    if (typeof value !== 'string' || !value) throw new Error(`/config.json lacks "${key}"`);
    return value;
  };
  return { issuer: read('issuer'), clientId: read('clientId'), adminAudience: read('adminAudience') };
}
