import { useEffect, useId, useRef } from 'preact/hooks';
import { useCopyOrSelect } from './copy.ts';

/**
 * A signing secret, shown once (after a create or a rotation): read-only, selectable, with a copy button.
 * The panel takes the focus when it appears, so the news is not missed.
 */
export function SecretPanel({
  secret,
  title,
  note,
  onDone,
}: {
  secret: string;
  title: string;
  note: string;
  onDone: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => heading.current?.focus(), []);

  // No clipboard (an insecure page, or refused): the field is selected for Ctrl+C instead.
  const [copied, copy] = useCopyOrSelect(secret, () => field.current?.select());

  return (
    <section class="panel panel-secret" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} tabIndex={-1} ref={heading}>
        {title}
      </h2>
      <p>{note}</p>
      <label for={`${id}-secret`}>Signing secret</label>
      <div class="copy-row">
        <input
          id={`${id}-secret`}
          class="secret"
          type="text"
          readOnly
          value={secret}
          spellcheck={false}
          autocomplete="off"
          onFocus={(event) => event.currentTarget.select()}
        />
        <button type="button" class="button button-primary" onClick={copy}>
          Copy
        </button>
      </div>
      <p class="hint" role="status">
        {copied}
      </p>
      <button type="button" class="button button-secondary" onClick={onDone}>
        I have saved it
      </button>
    </section>
  );
}
