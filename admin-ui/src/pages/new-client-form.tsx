import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { ClientWithSecret } from '../api/types.ts';
import { Field, FormError } from '../components/field.tsx';
import { httpUrlLines, lines, matches, maxLength, required, type Rule } from '../forms/rules.ts';
import { useForm } from '../forms/use-form.ts';

const kinds = [
  { value: 'web', label: 'Web app with a server (confidential, code flow)' },
  { value: 'spa', label: 'Single-page or mobile app (public, code flow + PKCE)' },
  { value: 'machine', label: 'Machine (client credentials)' },
];

/** RFC 7591 metadata for each kind of app an administrator registers. */
function metadataFor(kind: string, redirectUris: string[]) {
  if (kind === 'machine') {
    return { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };
  }
  return {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: redirectUris,
    token_endpoint_auth_method: kind === 'spa' ? 'none' : 'client_secret_basic',
  };
}

const redirectsNeeded: Rule = (value, values) =>
  values.kind !== 'machine' && !lines(value).length ? 'Add at least one redirect URI.' : null;

export function NewClientForm(props: { onCreated: (client: ClientWithSecret) => void }) {
  const api = useApi();
  const form = useForm({
    initial: { client_name: '', client_id: '', kind: 'web', redirect_uris: '' },
    rules: {
      client_name: [required('Name'), maxLength(200)],
      client_id: [matches(/^[A-Za-z0-9._~-]{1,255}$/, 'Use letters, digits and . _ ~ - only.')],
      redirect_uris: [redirectsNeeded, httpUrlLines],
    },
    async submit(values) {
      const client = await unwrap(
        api.POST('/clients', {
          body: {
            client_name: values.client_name.trim(),
            ...(values.client_id.trim() ? { client_id: values.client_id.trim() } : {}),
            ...metadataFor(values.kind, lines(values.redirect_uris)),
          },
        }),
      );
      props.onCreated(client);
    },
  });
  return (
    <form className="panel form-grid" onSubmit={form.handleSubmit} noValidate aria-label="Register a client">
      <h2>Register a client</h2>
      <FormError message={form.formError} />
      <Field label="Name" required {...form.bind('client_name')} />
      <Field label="Client id" hint="Leave empty to generate one." {...form.bind('client_id')} />
      <Field label="Kind" options={kinds} {...form.bind('kind')} />
      {form.values.kind === 'machine' ? null : (
        <Field
          label="Redirect URIs"
          rows={2}
          hint="One per line, e.g. https://app.example.com/callback."
          {...form.bind('redirect_uris')}
        />
      )}
      <div className="actions">
        <button type="submit" disabled={form.submitting}>
          Register client
        </button>
      </div>
    </form>
  );
}
