import { useCallback, useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { ApiError, messageOf } from '../api/api-error.ts';
import { firstProblem, type Rule } from './rules.ts';

type Values = Record<string, string>;

export interface FormOptions<F extends Values> {
  initial: F;
  rules?: { [K in keyof F]?: Rule[] };
  /** Sends the values; an ApiError's field messages are shown next to those fields. */
  submit(values: F): Promise<void>;
  /** After a successful submit: back to `initial` (default) or keep what was typed. */
  keepValues?: boolean;
}

export interface BoundField {
  id: string;
  name: string;
  value: string;
  error: string | undefined;
  onChange(event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>): void;
}

/**
 * A form's state: values, client-side checks before sending (the first invalid field gets focus),
 * and the server's problem+json field errors shown where they belong.
 */
export function useForm<F extends Values>(options: FormOptions<F>) {
  const prefix = useId();
  const [values, setValues] = useState<F>(options.initial);
  const [errors, setErrors] = useState<Partial<Record<keyof F, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const fieldId = (name: keyof F) => `${prefix}-${String(name)}`;

  const set = useCallback((name: keyof F, value: string) => {
    setValues((current) => ({ ...current, [name]: value }));
    setErrors((current) => ({ ...current, [name]: undefined }));
  }, []);

  function focusFirst(names: (keyof F)[]) {
    const first = Object.keys(options.initial).find((name) => names.includes(name as keyof F));
    if (first) document.getElementById(fieldId(first as keyof F))?.focus();
  }

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    if (submitting) return;
    const found: Partial<Record<keyof F, string>> = {};
    for (const name of Object.keys(options.initial) as (keyof F)[]) {
      const problem = firstProblem(values[name] ?? '', options.rules?.[name], values);
      if (problem) found[name] = problem;
    }
    setFormError(null);
    if (Object.keys(found).length) {
      setErrors(found);
      focusFirst(Object.keys(found) as (keyof F)[]);
      return;
    }
    setSubmitting(true);
    try {
      await options.submit(values);
      setErrors({});
      if (!options.keepValues) setValues(options.initial);
    } catch (failure) {
      const fromServer: Partial<Record<keyof F, string>> = {};
      const elsewhere: string[] = [];
      if (failure instanceof ApiError) {
        for (const [field, message] of Object.entries(failure.fields)) {
          if (field in options.initial) fromServer[field as keyof F] = message;
          else elsewhere.push(`${field}: ${message}`);
        }
      }
      setErrors(fromServer);
      const named = Object.keys(fromServer).length > 0;
      setFormError(elsewhere.length ? elsewhere.join(' ') : named ? null : messageOf(failure));
      if (named) focusFirst(Object.keys(fromServer) as (keyof F)[]);
    } finally {
      setSubmitting(false);
    }
  }

  function bind(name: keyof F & string): BoundField {
    return {
      id: fieldId(name),
      name,
      value: values[name] ?? '',
      error: errors[name],
      onChange: (event) => set(name, event.target.value),
    };
  }

  return { values, set, errors, formError, submitting, handleSubmit, bind };
}
