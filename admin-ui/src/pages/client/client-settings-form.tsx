import { useState } from 'react';
import { unwrap } from '../../api/admin-client.ts';
import { useApi } from '../../api/api-context.tsx';
import { ApiError } from '../../api/api-error.ts';
import type { Client } from '../../api/types.ts';
import { ChoiceGroup } from '../../components/choice-group.tsx';
import { Field, FormError } from '../../components/field.tsx';
import { Notice } from '../../components/status.tsx';
import { httpUrlLines, lines, maxLength, required, type Rule } from '../../forms/rules.ts';
import { useForm } from '../../forms/use-form.ts';

const codeFlow = 'authorization_code';
const knownGrantTypes = [
  { value: codeFlow, label: 'Authorization code (sign-in in a browser)' },
  { value: 'refresh_token', label: 'Refresh token' },
  { value: 'client_credentials', label: 'Client credentials (machine to machine)' },
  { value: 'urn:ietf:params:oauth:grant-type:device_code', label: 'Device code (TVs, consoles)' },
];

const settingNames = [
  'client_name',
  'redirect_uris',
  'post_logout_redirect_uris',
  'grant_types',
  'first_party',
] as const;
type SettingsValues = Record<(typeof settingNames)[number], string>;

const valuesOf = (client: Client): SettingsValues => ({
  client_name: client.client_name ?? '',
  redirect_uris: (client.redirect_uris ?? []).join('\n'),
  post_logout_redirect_uris: (client.post_logout_redirect_uris ?? []).join('\n'),
  grant_types: (client.grant_types ?? []).join(' '),
  first_party: client.first_party ? 'first_party' : '',
});

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((value, index) => value === b[index]);

/** The members that differ from the stored client (PATCH replaces only those; `null` removes one). */
function changesOf(client: Client, values: SettingsValues): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  const name = values.client_name.trim();
  if (name !== (client.client_name ?? '')) changes.client_name = name;
  const redirects = lines(values.redirect_uris);
  if (!sameList(redirects, client.redirect_uris ?? [])) changes.redirect_uris = redirects;
  const logouts = lines(values.post_logout_redirect_uris);
  if (!sameList(logouts, client.post_logout_redirect_uris ?? [])) {
    changes.post_logout_redirect_uris = logouts.length ? logouts : null;
  }
  const grants = values.grant_types.split(' ').filter(Boolean);
  if (!sameList(grants, client.grant_types ?? [])) {
    changes.grant_types = grants;
    // The response types follow the grant types: `code` exactly when the code flow is allowed.
    const current = client.response_types ?? [];
    changes.response_types = grants.includes(codeFlow) ? (current.length ? current : ['code']) : [];
  }
  const firstParty = values.first_party === 'first_party';
  if (firstParty !== client.first_party) changes.first_party = firstParty;
  return changes;
}

/**
 * The provider checks metadata with oidc-provider's own rules and answers 422 with a sentence that
 * starts with the member it refuses ("redirect_uris must only contain web uris"): shown at that field.
 */
function withMetadataField(failure: unknown): unknown {
  if (!(failure instanceof ApiError) || failure.status !== 422) return failure;
  const member = /^([a-z_]+) /.exec(failure.message)?.[1];
  const field = member === 'response_types' ? 'grant_types' : member;
  if (!field || !settingNames.some((name) => name === field)) return failure;
  return new ApiError(failure.status, failure.message, { [field]: failure.message });
}

/** Changes a client's name, redirect URIs, grant types and first-party flag. */
export function ClientSettingsForm(props: { client: Client; onSaved: (client: Client) => void }) {
  const api = useApi();
  const { client } = props;
  const [saved, setSaved] = useState<string | null>(null);
  const isPublic = client.token_endpoint_auth_method === 'none';
  const grantTypes = [
    ...knownGrantTypes,
    ...(client.grant_types ?? [])
      .filter((value) => !knownGrantTypes.some((known) => known.value === value))
      .map((value) => ({ value, label: value })),
  ];
  const redirectsNeeded: Rule = (value, values) =>
    values.grant_types?.split(' ').includes(codeFlow) && !lines(value).length
      ? 'The authorization code flow needs at least one redirect URI.'
      : null;
  const grantTypeRules: Rule[] = [
    (value) => (value ? null : 'Choose at least one grant type.'),
    (value) =>
      isPublic && value.split(' ').includes('client_credentials')
        ? 'A public client has no secret, so it cannot use client credentials.'
        : null,
  ];
  // Native apps may use their own URI schemes; web clients only http(s).
  const uriRules = client.application_type === 'native' ? [] : [httpUrlLines];

  const form = useForm<SettingsValues>({
    initial: valuesOf(client),
    keepValues: true,
    rules: {
      client_name: [required('Name'), maxLength(200)],
      redirect_uris: [redirectsNeeded, ...uriRules],
      post_logout_redirect_uris: uriRules,
      grant_types: grantTypeRules,
    },
    async submit(values) {
      setSaved(null);
      const changes = changesOf(client, values);
      if (!Object.keys(changes).length) {
        setSaved('Nothing to save: no setting was changed.');
        return;
      }
      let updated: Client;
      try {
        updated = await unwrap(
          api.PATCH('/clients/{client_id}', { params: { path: { client_id: client.client_id } }, body: changes }),
        );
      } catch (failure) {
        throw withMetadataField(failure);
      }
      props.onSaved(updated);
      setSaved(`Settings of ${client.client_id} saved.`);
    },
  });

  return (
    <form className="form-grid" onSubmit={form.handleSubmit} noValidate aria-label={`Settings of ${client.client_id}`}>
      <FormError message={form.formError} />
      <Field label="Name" required {...form.bind('client_name')} />
      <ChoiceGroup
        legend="Sign-in"
        options={[{ value: 'first_party', label: 'First party: users are not asked for consent' }]}
        {...form.bind('first_party')}
        onValueChange={(value) => form.set('first_party', value)}
      />
      <Field
        label="Redirect URIs"
        rows={3}
        hint="One per line; where the provider may send users back after sign-in."
        {...form.bind('redirect_uris')}
      />
      <Field
        label="Post-logout redirect URIs"
        rows={3}
        hint="One per line; where users may land after signing out."
        {...form.bind('post_logout_redirect_uris')}
      />
      <ChoiceGroup
        legend="Grant types"
        {...(isPublic ? { hint: 'A public client (no secret) cannot use client credentials.' } : {})}
        options={grantTypes}
        {...form.bind('grant_types')}
        onValueChange={(value) => form.set('grant_types', value)}
      />
      <div className="actions">
        <button type="submit" disabled={form.submitting}>
          {form.submitting ? 'Saving…' : 'Save settings'}
        </button>
      </div>
      <Notice message={saved} />
    </form>
  );
}
