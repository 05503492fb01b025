import type { ReactNode } from 'react';
import { Button } from './ui.tsx';

/** The look of a one-line text input below its label (monospace: paths, repo ids, numbers). */
export const textInputClass =
  'mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-900';

/** A labelled one-line text input; `hint` is its placeholder. */
export function TextField({
  name,
  label,
  hint,
  value,
  onChange,
  required = false,
}: {
  name: string;
  label: ReactNode;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
}) {
  return (
    <label className="block text-sm">
      <span className="font-medium">{label}</span>
      <input
        name={name}
        required={required}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={hint}
        className={textInputClass}
      />
    </label>
  );
}

/**
 * Binds text fields to a form's state object of strings: the returned
 * `field(name, label, hint, required?)` renders the `TextField` of `values[name]`, and a
 * change writes a new object through `set`.
 */
export function bindTextFields<F extends { [K in keyof F]: string }>(values: F, set: (next: F) => void) {
  return (name: keyof F & string, label: string, hint: string, required = false): ReactNode => (
    <TextField
      name={name}
      label={label}
      hint={hint}
      required={required}
      value={values[name]}
      onChange={(v) => set({ ...values, [name]: v })}
    />
  );
}

/** A form's submit button (reading `busyLabel` and disabled while `busy`) with the form's error beside it. */
export function SubmitRow({
  label,
  busyLabel = label,
  busy,
  error,
}: {
  label: string;
  busyLabel?: string;
  busy: boolean;
  error: string | null;
}) {
  return (
    <div className="flex items-center gap-3">
      <Button type="submit" disabled={busy}>
        {busy ? busyLabel : label}
      </Button>
      {error && (
        <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">
          {error}
        </p>
      )}
    </div>
  );
}
