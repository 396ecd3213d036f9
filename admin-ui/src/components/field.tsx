import type { ReactNode } from 'react';
import type { BoundField } from '../forms/use-form.ts';

interface FieldProps extends BoundField {
  label: string;
  hint?: string;
  required?: boolean;
  type?: 'text' | 'email' | 'password' | 'search' | 'url' | 'datetime-local';
  /** A textarea of this many rows instead of one line. */
  rows?: number;
  /** A select with these options instead of a text box. */
  options?: { value: string; label: string }[];
  autoComplete?: string;
  placeholder?: string;
}

/** A labelled input with its hint and its error (announced, and tied to the input for screen readers). */
export function Field(props: FieldProps) {
  const hintId = `${props.id}-hint`;
  const errorId = `${props.id}-error`;
  const describedBy = [props.hint ? hintId : null, props.error ? errorId : null].filter(Boolean).join(' ');
  const common = {
    id: props.id,
    name: props.name,
    value: props.value,
    onChange: props.onChange,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': describedBy || undefined,
    'aria-required': props.required ? true : undefined,
  } as const;
  let control: ReactNode;
  if (props.options) {
    control = (
      <select {...common}>
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    );
  } else if (props.rows) {
    control = <textarea {...common} rows={props.rows} placeholder={props.placeholder} />;
  } else {
    control = (
      <input
        {...common}
        type={props.type ?? 'text'}
        autoComplete={props.autoComplete ?? 'off'}
        placeholder={props.placeholder}
      />
    );
  }
  return (
    <div className={['field', props.error ? 'has-error' : '', props.required ? 'is-required' : ''].join(' ').trim()}>
      <label htmlFor={props.id}>{props.label}</label>
      {control}
      {props.hint ? (
        <p id={hintId} className="field-hint">
          {props.hint}
        </p>
      ) : null}
      <p id={errorId} className="field-error" aria-live="polite">
        {props.error ?? ''}
      </p>
    </div>
  );
}

/** The form's own error (not tied to a field), read out when it appears. */
export function FormError(props: { message: string | null }) {
  if (!props.message) return null;
  return (
    <div className="form-error" role="alert">
      {props.message}
    </div>
  );
}
