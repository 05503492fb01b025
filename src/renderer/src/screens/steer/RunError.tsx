import { href } from '../../routes.ts';

/** What a failed start means and what to do. */
export function RunError({ message }: { message: string }) {
  const noModel = /no model is open|loading|Models/i.test(message);
  return (
    <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">
      {message}
      {noModel && (
        <>
          {' '}
          <a href={href('models')} className="font-medium underline">
            Open Models
          </a>
        </>
      )}
    </p>
  );
}
