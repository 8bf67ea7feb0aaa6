// What every admin form shares: the errors beside each field (from local checks or the API's
// problem document), the error above the form, the busy flag while a request runs, and a text
// input wired to its Field.
import { useState } from 'preact/hooks';
import { splitApiError } from '../../lib/admin';
import { Field } from './field';

export interface FormState {
  errors: Record<string, string>;
  formError: string | null;
  busy: boolean;
  /** Shows `local` (field → message) and stops when it is not empty; else runs `action`. */
  submit: (local: Record<string, string>, action: () => Promise<void>) => Promise<void>;
}

export function useFormState(fields: readonly string[]): FormState {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(local: Record<string, string>, action: () => Promise<void>) {
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await action();
    } catch (caught) {
      const split = splitApiError(caught, fields);
      setErrors(split.fields);
      setFormError(split.form);
    } finally {
      setBusy(false);
    }
  }
  return { errors, formError, busy, submit };
}

interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | null;
  hint?: string;
  numeric?: boolean;
  type?: string;
  autocomplete?: string;
}

export function TextField({ id, label, value, onValue, error, hint, numeric, type, autocomplete }: TextFieldProps) {
  return (
    <Field id={id} label={label} error={error} hint={hint}>
      {(describedBy, invalid) => (
        <input id={id} type={type} autocomplete={autocomplete ?? 'off'} value={value}
          inputMode={numeric ? 'numeric' : undefined} onInput={(e) => onValue(e.currentTarget.value)}
          aria-describedby={describedBy} aria-invalid={invalid || undefined} />
      )}
    </Field>
  );
}

export function SelectField<V extends string>({ id, label, value, onValue, options, error }: {
  id: string; label: string; value: V; onValue: (value: V) => void; options: readonly (readonly [V, string])[];
  error?: string | null;
}) {
  return (
    <Field id={id} label={label} error={error}>
      {(describedBy, invalid) => (
        <select id={id} value={value} onChange={(e) => onValue(e.currentTarget.value as V)}
          aria-describedby={describedBy} aria-invalid={invalid || undefined}>
          {options.map(([key, text]) => <option key={key} value={key}>{text}</option>)}
        </select>
      )}
    </Field>
  );
}

export function FormError({ message }: { message: string | null }) {
  return message ? <p class="error" role="alert">{message}</p> : null;
}
