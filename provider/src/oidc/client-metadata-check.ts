import type Provider from 'oidc-provider';

/** oidc-provider's errors carry an OAuth code; these two are the ones metadata can earn. */
function metadataProblem(error: unknown): string | null {
  const { error: code, error_description: description } = (error ?? {}) as {
    error?: unknown;
    error_description?: unknown;
  };
  if (code !== 'invalid_client_metadata' && code !== 'invalid_redirect_uri') return null;
  return typeof description === 'string' ? description : String(code);
}

/**
 * Validates client metadata with a provider's own rules (the running one for the admin API, one
 * built alike for the CLI), so a client accepted is one the provider will load. Answers why it is
 * refused, or null when it is acceptable.
 */
export async function clientMetadataProblem(
  provider: Provider,
  metadata: Record<string, unknown>,
): Promise<string | null> {
  const { Client } = provider;
  try {
    await Client.validate(metadata as Parameters<typeof Client.validate>[0]);
    return null;
  } catch (error) {
    const problem = metadataProblem(error);
    if (problem === null) throw error;
    return problem;
  }
}
