import { ApiError } from '../api.js';

/** Why the view could not refresh; the last data it had stays on screen below. */
export function LoadProblem({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const text =
    error instanceof ApiError && error.status === 404 ? error.message : `Refresh failed: ${error.message}`;
  return (
    <div className="notice notice-error" role="alert">
      {text}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted loading">Loading {what}…</p>;
}
