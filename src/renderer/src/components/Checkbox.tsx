import type { ReactNode } from 'react';
import { cx } from './ui.tsx';

/** A checkbox with its label after it, in the app's accent colour; `className` adds to the label's classes. */
export function Checkbox({
  checked,
  onChange,
  children,
  className,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  children: ReactNode;
  className?: string;
}) {
  return (
    <label className={cx('flex items-center', className ?? 'gap-1.5')}>
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} className="accent-violet-600" />
      {children}
    </label>
  );
}
