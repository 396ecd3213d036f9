import { useState } from 'react';
import { unwrap } from '../../api/admin-client.ts';
import { useApi } from '../../api/api-context.tsx';
import { Field, FormError } from '../../components/field.tsx';
import { Notice } from '../../components/status.tsx';
import { passwordRules } from '../../forms/rules.ts';
import { useForm } from '../../forms/use-form.ts';

/** Sets a new password for the user (all their sessions end). */
export function PasswordResetForm(props: { userId: string }) {
  const api = useApi();
  const [done, setDone] = useState<string | null>(null);
  const form = useForm({
    initial: { new_password: '' },
    rules: { new_password: passwordRules },
    async submit(values) {
      setDone(null);
      await unwrap(
        api.PUT('/users/{user_id}/password', {
          params: { path: { user_id: props.userId } },
          body: { new_password: values.new_password },
        }),
      );
      setDone('Password changed. The user was signed out everywhere.');
    },
  });
  return (
    <section className="panel" aria-labelledby="password-title">
      <h2 id="password-title">Reset password</h2>
      <form className="form-inline" onSubmit={form.handleSubmit} noValidate aria-label="Reset password">
        <FormError message={form.formError} />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters; common passwords are refused."
          {...form.bind('new_password')}
        />
        <div className="actions">
          <button type="submit" disabled={form.submitting}>
            Set password
          </button>
        </div>
      </form>
      <Notice message={done} />
    </section>
  );
}
