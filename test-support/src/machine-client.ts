import type { ProviderProcess } from './provider-process.ts';

/** A client-credentials token for `resource` (the client is made with the CLI, as an operator would). */
export async function machineToken(
  provider: Pick<ProviderProcess, 'url'>,
  clientId: string,
  secret: string,
  resource: string,
): Promise<string> {
  const response = await fetch(`${provider.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource }).toString(),
  });
  if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Registers a resource server and a machine client holding `permissions`; returns its credentials. */
export function registerMachineClient(
  provider: Pick<ProviderProcess, 'cli'>,
  resource: string,
  clientId: string,
  permissions: string[],
) {
  const steps = [
    ['resources', 'create', resource, '--name', 'Kit test resource'],
    [
      'clients',
      'create',
      '--json',
      JSON.stringify({
        client_id: clientId,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      }),
    ],
  ];
  let secret = '';
  for (const step of steps) {
    const result = provider.cli(...step);
    if (result.status !== 0 && !/already exists/.test(result.stderr))
      throw new Error(`${step.join(' ')}: ${result.stderr}`);
    if (step[0] === 'clients') secret = (JSON.parse(result.stdout) as { client_secret: string }).client_secret;
  }
  for (const permission of permissions) {
    const result = provider.cli('permissions', 'grant', permission, '--client', clientId);
    if (result.status !== 0) throw new Error(`grant ${permission}: ${result.stderr}`);
  }
  return secret;
}
