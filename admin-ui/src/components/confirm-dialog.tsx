import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { messageOf } from '../api/api-error.ts';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** Styles the confirm button as destructive. */
  danger?: boolean;
  /** Runs the action; the dialog stays open and shows the error when it fails. */
  onConfirm(): Promise<void>;
  onClose(): void;
}

/**
 * A modal question before an action that is hard to undo. Focus moves to Cancel (the safe choice)
 * and returns to where it was on close; Escape cancels.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const titleId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    cancel.current?.focus();
    return () => previous?.focus?.();
  }, []);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  }

  return (
    <div className="backdrop">
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && !busy) props.onClose();
          if (event.key !== 'Tab') return;
          // Keep focus inside the dialog while it is open.
          const buttons = [...event.currentTarget.querySelectorAll<HTMLButtonElement>('button:not(:disabled)')];
          const [first, last] = [buttons[0], buttons.at(-1)];
          if (event.shiftKey && document.activeElement === first) {
            event.preventDefault();
            last?.focus();
          } else if (!event.shiftKey && document.activeElement === last) {
            event.preventDefault();
            first?.focus();
          }
        }}
      >
        <h2 id={titleId}>{props.title}</h2>
        <div className="dialog-body">{props.children}</div>
        {error ? (
          <div className="form-error" role="alert">
            {error}
          </div>
        ) : null}
        <div className="actions">
          <button type="button" ref={cancel} className="button-secondary" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button type="button" className={props.danger ? 'button-danger' : ''} onClick={confirm} disabled={busy}>
            {busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
