import { useState } from 'react';
import { unwrap } from '../../api/admin-client.ts';
import { useApi } from '../../api/api-context.tsx';
import type { UserDetails } from '../../api/types.ts';
import { Field, FormError } from '../../components/field.tsx';
import { Notice } from '../../components/status.tsx';
import { email, maxLength, required, type Rule } from '../../forms/rules.ts';
import { useForm } from '../../forms/use-form.ts';

/** The API ignores empty values (CONTRACTS.md 1.4), so a name once set can be changed but not removed. */
const keeps =
  (before: string | null): Rule =>
  (value) =>
    before && !value.trim() ? 'A name can be changed but not removed.' : null;

/** Email and names of the user; a new address is unverified until the user proves it. */
export function ProfileForm(props: { user: UserDetails; onSaved: (user: UserDetails) => void }) {
  const api = useApi();
  const { user } = props;
  const [saved, setSaved] = useState<string | null>(null);
  const form = useForm({
    initial: { email: user.email, first_name: user.first_name ?? '', last_name: user.last_name ?? '' },
    keepValues: true,
    rules: {
      email: [required('Email'), email, maxLength(320)],
      first_name: [keeps(user.first_name), maxLength(100)],
      last_name: [keeps(user.last_name), maxLength(100)],
    },
    async submit(values) {
      setSaved(null);
      // Only what changed: the audit log then records exactly the change made.
      const changes: { email?: string; first_name?: string; last_name?: string } = {};
      if (values.email.trim() !== user.email) changes.email = values.email.trim();
      if (values.first_name.trim() !== (user.first_name ?? '')) changes.first_name = values.first_name.trim();
      if (values.last_name.trim() !== (user.last_name ?? '')) changes.last_name = values.last_name.trim();
      if (!Object.keys(changes).length) {
        setSaved('Nothing to save: the profile is unchanged.');
        return;
      }
      const updated = await unwrap(
        api.PATCH('/users/{user_id}', { params: { path: { user_id: user.uuid } }, body: changes }),
      );
      // Show what the provider stored (it normalizes the address).
      form.set('email', updated.email);
      form.set('first_name', updated.first_name ?? '');
      form.set('last_name', updated.last_name ?? '');
      props.onSaved(updated);
      setSaved(updated.email === user.email ? 'Profile saved.' : 'Profile saved. The new address is not verified yet.');
    },
  });
  return (
    <section className="panel" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <form className="form-grid" onSubmit={form.handleSubmit} noValidate aria-label="Profile">
        <FormError message={form.formError} />
        <Field label="Email" type="email" required {...form.bind('email')} />
        <Field label="First name" autoComplete="off" {...form.bind('first_name')} />
        <Field label="Last name" autoComplete="off" {...form.bind('last_name')} />
        <div className="actions">
          <button type="submit" disabled={form.submitting}>
            {form.submitting ? 'Saving…' : 'Save profile'}
          </button>
        </div>
        <Notice message={saved} />
      </form>
    </section>
  );
}
