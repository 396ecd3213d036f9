import type { BoundField } from '../forms/use-form.ts';

interface ChoiceGroupProps extends Omit<BoundField, 'onChange'> {
  legend: string;
  hint?: string;
  options: { value: string; label: string }[];
  /** Called with the checked values, space-separated in the order of `options`. */
  onValueChange(value: string): void;
}

/**
 * Checkboxes for a set of values (grant types, a flag) as one form field whose text is the checked
 * values, space-separated, so useForm's rules and server field errors work as for any other field.
 * The first box carries the field's id, so a refused field gets focus like a text box does.
 */
export function ChoiceGroup(props: ChoiceGroupProps) {
  const checked = new Set(props.value.split(' ').filter(Boolean));
  const hintId = `${props.id}-hint`;
  const errorId = `${props.id}-error`;
  const describedBy = [props.hint ? hintId : null, props.error ? errorId : null].filter(Boolean).join(' ');

  function toggle(value: string, on: boolean) {
    const next = new Set(checked);
    if (on) next.add(value);
    else next.delete(value);
    props.onValueChange(
      props.options
        .map((option) => option.value)
        .filter((option) => next.has(option))
        .join(' '),
    );
  }

  return (
    <fieldset
      className={['field', 'choice-group', props.error ? 'has-error' : ''].join(' ').trim()}
      aria-describedby={describedBy || undefined}
    >
      <legend>{props.legend}</legend>
      {props.options.map((option, index) => {
        const id = index === 0 ? props.id : `${props.id}-${index}`;
        return (
          <label key={option.value} className="choice" htmlFor={id}>
            <input
              type="checkbox"
              id={id}
              name={props.name}
              value={option.value}
              checked={checked.has(option.value)}
              aria-invalid={props.error ? true : undefined}
              onChange={(event) => toggle(option.value, event.target.checked)}
            />
            {option.label}
          </label>
        );
      })}
      {props.hint ? (
        <p id={hintId} className="field-hint">
          {props.hint}
        </p>
      ) : null}
      <p id={errorId} className="field-error" aria-live="polite">
        {props.error ?? ''}
      </p>
    </fieldset>
  );
}
