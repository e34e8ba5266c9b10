import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';

/**
 * A modal question before a step that cannot be undone, on the native `<dialog>`: it keeps the focus inside
 * while open, Escape cancels, and the focus goes back to the button that opened it. The safe choice (Cancel)
 * has the focus first.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  busyLabel,
  danger = false,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  busyLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(null);
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (open && !element.open) {
      opener.current = document.activeElement;
      element.showModal();
      cancel.current?.focus();
    } else if (!open && element.open) {
      element.close();
    }
  }, [open]);

  const closed = () => {
    onClose();
    // Back to the button that opened it, unless what the action did has taken the focus elsewhere.
    const back = opener.current;
    const focused = document.activeElement;
    const lost = focused === null || focused === document.body || dialog.current?.contains(focused);
    if (lost && back instanceof HTMLElement && back.isConnected) back.focus();
  };

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onClose={closed}
      onCancel={(event) => {
        if (busy) event.preventDefault();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div id={bodyId}>{children}</div>
      <div class="actions">
        <button
          type="button"
          class={`button ${danger ? 'button-danger' : 'button-primary'}`}
          aria-disabled={busy}
          onClick={async () => {
            if (busy) return;
            setBusy(true);
            try {
              await onConfirm();
            } finally {
              setBusy(false);
              dialog.current?.close();
            }
          }}
        >
          {busy ? busyLabel : confirmLabel}
        </button>
        <button
          type="button"
          class="button button-secondary"
          ref={cancel}
          onClick={() => dialog.current?.close()}
        >
          Cancel
        </button>
      </div>
    </dialog>
  );
}
