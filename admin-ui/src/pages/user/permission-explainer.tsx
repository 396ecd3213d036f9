import { useState } from 'react';
import { unwrap } from '../../api/admin-client.ts';
import { useApi } from '../../api/api-context.tsx';
import type { PermissionExplanation } from '../../api/types.ts';
import { Field, FormError } from '../../components/field.tsx';
import { permissionNameRules } from '../../forms/rules.ts';
import { useForm } from '../../forms/use-form.ts';

function sourceText(source: { kind: string; role?: string }): string {
  return source.kind === 'role' ? `the role ${source.role ?? '?'}` : 'a direct grant';
}

/** "Why does this user have X?": the grants behind a permission, or why it does not hold. */
export function PermissionExplainer(props: { userId: string }) {
  const api = useApi();
  const [answer, setAnswer] = useState<PermissionExplanation | null>(null);
  const form = useForm({
    initial: { permission: '' },
    keepValues: true,
    rules: { permission: permissionNameRules },
    async submit(values) {
      setAnswer(
        await unwrap(
          api.GET('/users/{user_id}/permission_explanation', {
            params: { path: { user_id: props.userId }, query: { permission: values.permission.trim() } },
          }),
        ),
      );
    },
  });
  return (
    <section className="panel" aria-labelledby="explain-title">
      <h2 id="explain-title">Why does this user have…</h2>
      <form className="form-inline" onSubmit={form.handleSubmit} noValidate aria-label="Explain a permission">
        <FormError message={form.formError} />
        <Field label="Permission" placeholder="pro_read" {...form.bind('permission')} />
        <div className="actions">
          <button type="submit" className="button-secondary" disabled={form.submitting}>
            Explain
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {answer ? (
          <div className={answer.valid ? 'explanation holds' : 'explanation'}>
            <p className="status-title">
              {answer.summary ?? (answer.valid ? 'The permission holds.' : 'The permission does not hold.')}
            </p>
            <ul>
              {answer.names.map((name) => (
                <li key={name.name}>
                  <code>{name.name}</code>:{' '}
                  {!name.exists
                    ? 'no permission of this name is defined.'
                    : name.via_superuser
                      ? 'holds through all_all (superuser).'
                      : name.granted_by.length
                        ? `granted by ${name.granted_by.map(sourceText).join(', ')}.`
                        : 'not granted.'}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
    </section>
  );
}
