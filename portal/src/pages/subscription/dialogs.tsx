import { useId, useRef, useState } from 'preact/hooks';
import { messageOf, type Subscription } from '../../api.ts';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import type { Session } from '../../session.ts';
import { overlapChoices, type Rotation, rotated, rotationFailed } from './model.ts';

/**
 * The question before a rotation of the signing secret, with how long the old one keeps signing. What the
 * rotation did is handed to `onClose`, once the dialog has closed: while a modal dialog is open the rest of
 * the page is inert, so the new secret's panel could not take the focus, nor a notice be read out.
 */
export function RotateDialog({
  open,
  id,
  session,
  refresh,
  onClose,
}: {
  open: boolean;
  id: string;
  session: Session;
  refresh: () => Promise<void>;
  onClose: (rotation: Rotation | undefined) => void;
}) {
  const ids = useId();
  const [overlap, setOverlap] = useState<number>(overlapChoices[0].seconds);
  const rotation = useRef<Rotation | undefined>(undefined);
  return (
    <ConfirmDialog
      open={open}
      title="Rotate the signing secret?"
      confirmLabel="Rotate secret"
      busyLabel="Rotating…"
      onClose={() => {
        const outcome = rotation.current;
        rotation.current = undefined;
        onClose(outcome);
      }}
      onConfirm={async () => {
        try {
          const { data } = await session.call<{ secret: string }>(
            'POST',
            `/v1/webhooks/${id}/rotate-secret`,
            {
              previous_secret_expires_in: overlap,
            },
          );
          rotation.current = rotated(id, data.secret);
        } catch (error) {
          rotation.current = rotationFailed(messageOf(error));
        }
        await refresh();
      }}
    >
      <p>
        A new secret signs every webhook from now on. Keep the old one working beside it while you switch
        over:
      </p>
      <label for={`${ids}-overlap`}>Old secret keeps working for</label>
      <select
        id={`${ids}-overlap`}
        value={String(overlap)}
        onChange={(event) => setOverlap(Number(event.currentTarget.value))}
      >
        {overlapChoices.map((choice) => (
          <option key={choice.seconds} value={String(choice.seconds)}>
            {choice.label}
          </option>
        ))}
      </select>
    </ConfirmDialog>
  );
}

/** The question before a delete, saying what stops. `onConfirm` deletes. */
export function DeleteDialog({
  open,
  subscription,
  onConfirm,
  onClose,
}: {
  open: boolean;
  subscription: Subscription;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  return (
    <ConfirmDialog
      open={open}
      title={`Delete ${subscription.name}?`}
      confirmLabel="Delete subscription"
      busyLabel="Deleting…"
      danger
      onClose={onClose}
      onConfirm={onConfirm}
    >
      <p>
        No more webhooks go to <code class="url">{subscription.url}</code>, and deliveries still waiting are
        dropped. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
