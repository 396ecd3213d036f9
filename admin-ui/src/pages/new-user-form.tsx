import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { UserDetails } from '../api/types.ts';
import { Field, FormError } from '../components/field.tsx';
import { email, maxLength, passwordRules, required } from '../forms/rules.ts';
import { useForm } from '../forms/use-form.ts';

/** Creates a password account (it gets the default role `user`). */
export function NewUserForm(props: { onCreated: (user: UserDetails) => void }) {
  const api = useApi();
  const form = useForm({
    initial: { email: '', password: '', first_name: '', last_name: '' },
    rules: {
      email: [required('Email'), email, maxLength(320)],
      password: passwordRules,
      first_name: [maxLength(100)],
      last_name: [maxLength(100)],
    },
    async submit(values) {
      const user = await unwrap(
        api.POST('/users', {
          body: {
            email: values.email.trim(),
            password: values.password,
            first_name: values.first_name.trim() || null,
            last_name: values.last_name.trim() || null,
            // Nobody has proved the address yet: the user does, as after registering.
            email_verified: false,
          },
        }),
      );
      props.onCreated(user);
    },
  });
  return (
    <form className="panel form-grid" onSubmit={form.handleSubmit} noValidate aria-label="New user">
      <h2>New user</h2>
      <FormError message={form.formError} />
      <Field label="Email" type="email" required {...form.bind('email')} />
      <Field
        label="Password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 8 characters; common passwords are refused."
        {...form.bind('password')}
      />
      <Field label="First name" {...form.bind('first_name')} />
      <Field label="Last name" {...form.bind('last_name')} />
      <div className="actions">
        <button type="submit" disabled={form.submitting}>
          {form.submitting ? 'Creating…' : 'Create user'}
        </button>
      </div>
    </form>
  );
}
