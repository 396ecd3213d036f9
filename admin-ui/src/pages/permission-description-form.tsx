import { unwrap } from '../api/admin-client.ts';
import { useApi } from '../api/api-context.tsx';
import type { Permission } from '../api/types.ts';
import { Field, FormError } from '../components/field.tsx';
import { descriptionRules } from '../forms/rules.ts';
import { useForm } from '../forms/use-form.ts';

/** Edits a permission's description; its name is fixed, as tokens and resource servers refer to it. */
export function PermissionDescriptionForm(props: {
  permission: Permission;
  onSaved: (permission: Permission) => void;
  onCancel: () => void;
}) {
  const api = useApi();
  const form = useForm({
    initial: { description: props.permission.description ?? '' },
    keepValues: true,
    rules: { description: descriptionRules },
    async submit(values) {
      props.onSaved(
        await unwrap(
          api.PATCH('/permissions/{permission}', {
            params: { path: { permission: props.permission.name } },
            body: { description: values.description.trim() || null },
          }),
        ),
      );
    },
  });
  return (
    <form
      className="panel form-inline"
      onSubmit={form.handleSubmit}
      noValidate
      aria-label={`Edit ${props.permission.name}`}
    >
      <h2>
        Edit <code>{props.permission.name}</code>
      </h2>
      <FormError message={form.formError} />
      <Field label="New description" hint="At most 256 characters; empty removes it." {...form.bind('description')} />
      <div className="actions">
        <button type="submit" disabled={form.submitting}>
          Save description
        </button>
        <button type="button" className="button-secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
