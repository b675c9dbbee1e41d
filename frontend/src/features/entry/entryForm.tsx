// What the two entry forms (measurements, counts) share: the form's id (its submit button is
// in the dialog's footer), and how a failed submission becomes errors on the fields.
import { ApiError } from '@/lib/api';

export const ENTRY_FORM_ID = 'entry-form';

/** Errors by field key; `form` for what belongs to no field. */
export type Errors = Record<string, string>;

/** A failed submission as errors: each 422 field error on the field `fieldOf` names (null:
 * none of the form's fields), the rest for the form. */
export function submitErrors(error: unknown, fieldOf: (path: string) => string | null): Errors {
  if (!(error instanceof ApiError)) return { form: error instanceof Error ? error.message : 'Submission failed' };
  if (error.status !== 422) return { form: error.message };
  const out: Errors = {};
  const add = (key: string, msg: string) => (out[key] = out[key] ? `${out[key]}; ${msg}` : msg);
  for (const [path, msg] of Object.entries(error.fieldErrors)) {
    const field = fieldOf(path);
    if (field !== null) add(field, msg);
    else add('form', `${path ? `${path}: ` : ''}${msg}`);
  }
  return Object.keys(out).length ? out : { form: error.message };
}

export function FormError({ errors }: { errors: Errors }) {
  return errors.form ? (
    <p className="error-text" role="alert">
      {errors.form}
    </p>
  ) : null;
}
