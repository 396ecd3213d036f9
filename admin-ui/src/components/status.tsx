import type { ReactNode } from 'react';

/** A load in progress, announced to screen readers. */
export function Loading(props: { label: string }) {
  return (
    <div className="status status-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {props.label}
    </div>
  );
}

/** Nothing to show yet, and what to do about it. */
export function EmptyState(props: { title: string; hint?: string; children?: ReactNode }) {
  return (
    <div className="status status-empty" role="status">
      <p className="status-title">{props.title}</p>
      {props.hint ? <p className="status-hint">{props.hint}</p> : null}
      {props.children}
    </div>
  );
}

/** A failure, read out as soon as it appears; `onRetry` offers another try. */
export function ErrorBanner(props: { message: string; onRetry?: () => void }) {
  return (
    <div className="status status-error" role="alert">
      <span>{props.message}</span>
      {props.onRetry ? (
        <button type="button" className="button-secondary" onClick={props.onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A short confirmation of a change that worked ("Role critic created"). */
export function Notice(props: { message: string | null }) {
  return (
    <p className="notice" role="status" aria-live="polite">
      {props.message ?? ''}
    </p>
  );
}
