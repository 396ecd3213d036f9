import { useState } from 'react';
import { messageOf } from '../../api/api-error.ts';
import { Field, FormError } from '../../components/field.tsx';
import { EmptyState, ErrorBanner, Loading } from '../../components/status.tsx';
import { required } from '../../forms/rules.ts';
import { useForm } from '../../forms/use-form.ts';

interface Grant {
  uuid: string;
  name: string;
  description: string | null;
}

export interface GrantListProps {
  /** "Roles" or "Direct permissions". */
  title: string;
  /** "role" or "permission", for labels. */
  noun: string;
  granted: Grant[] | undefined;
  error: string | null;
  /** Every name that could be granted. */
  choices: string[];
  grant(name: string): Promise<void>;
  revoke(name: string): Promise<void>;
}

/** What a user holds of one kind (roles or direct permissions), with add and remove. */
export function GrantList(props: GrantListProps) {
  const [failure, setFailure] = useState<string | null>(null);
  const held = new Set((props.granted ?? []).map((grant) => grant.name));
  const available = props.choices.filter((name) => !held.has(name));
  const noun = props.noun[0]!.toUpperCase() + props.noun.slice(1);
  const form = useForm({
    initial: { name: '' },
    rules: { name: [required(noun)] },
    submit: (values) => props.grant(values.name),
  });

  async function revoke(name: string) {
    setFailure(null);
    try {
      await props.revoke(name);
    } catch (error) {
      setFailure(messageOf(error));
    }
  }

  return (
    <section className="panel" aria-labelledby={`${props.noun}-grants`}>
      <h2 id={`${props.noun}-grants`}>{props.title}</h2>
      {props.error && !props.granted ? <ErrorBanner message={props.error} /> : null}
      {failure ? <ErrorBanner message={failure} /> : null}
      {!props.granted && !props.error ? <Loading label={`Loading ${props.title.toLowerCase()}…`} /> : null}
      {props.granted?.length === 0 ? <EmptyState title={`No ${props.title.toLowerCase()}.`} /> : null}
      {props.granted?.length ? (
        <ul className="grant-list">
          {props.granted.map((grant) => (
            <li key={grant.uuid}>
              <span>
                <code>{grant.name}</code>
                {grant.description ? <span className="muted"> — {grant.description}</span> : null}
              </span>
              <button type="button" className="button-link" onClick={() => void revoke(grant.name)}>
                Remove <span className="visually-hidden">{grant.name}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <form className="form-inline" onSubmit={form.handleSubmit} noValidate aria-label={`Add a ${props.noun}`}>
        <FormError message={form.formError} />
        <Field
          label={`${noun} to add`}
          options={[
            { value: '', label: available.length ? `Choose a ${props.noun}…` : `No other ${props.noun}s` },
            ...available.map((name) => ({ value: name, label: name })),
          ]}
          {...form.bind('name')}
        />
        <div className="actions">
          <button type="submit" disabled={form.submitting}>
            Add {props.noun}
          </button>
        </div>
      </form>
    </section>
  );
}
