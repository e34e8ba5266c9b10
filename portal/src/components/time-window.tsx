import { useId, useState } from 'preact/hooks';
import { anyTime, type TimeWindow, windowProblem } from '../time-window.ts';

/**
 * A time window's two inputs, "From" and "To", in the browser's time, with a hint that says what they hold
 * (`what`: "Events the platform received"); the form around them decides when the window applies.
 */
export function TimeWindowFields({
  value,
  onChange,
  what,
}: {
  value: TimeWindow;
  onChange: (chosen: TimeWindow) => void;
  what: string;
}) {
  const id = useId();
  return (
    <>
      <div class="filter">
        <label for={`${id}-from`}>From</label>
        <input
          id={`${id}-from`}
          type="datetime-local"
          value={value.from}
          aria-describedby={`${id}-hint`}
          onInput={(event) => onChange({ ...value, from: event.currentTarget.value })}
        />
      </div>
      <div class="filter">
        <label for={`${id}-to`}>To</label>
        <input
          id={`${id}-to`}
          type="datetime-local"
          value={value.to}
          aria-describedby={`${id}-hint`}
          onInput={(event) => onChange({ ...value, to: event.currentTarget.value })}
        />
      </div>
      <p class="hint filters-hint" id={`${id}-hint`}>
        Your local time. {what} from “From” up to, not including, “To”.
      </p>
    </>
  );
}

/**
 * A form of its own for a time window (the delivery list's): "From", "To", Apply and Clear. A window the portal
 * can tell is wrong is said in words and not applied.
 */
export function TimeWindowForm({
  applied,
  onApply,
  label,
  what,
}: {
  applied: TimeWindow;
  onApply: (chosen: TimeWindow) => void;
  label: string;
  what: string;
}) {
  const [draft, setDraft] = useState(applied);
  const [problem, setProblem] = useState<string | undefined>();
  const apply = (chosen: TimeWindow) => {
    const wrong = windowProblem(chosen);
    setProblem(wrong);
    if (wrong === undefined) onApply(chosen);
  };
  return (
    <form
      class="filters"
      aria-label={label}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        apply(draft);
      }}
    >
      <TimeWindowFields value={draft} onChange={setDraft} what={what} />
      <div class="actions filters-actions">
        <button type="submit" class="button button-secondary">
          Apply time window
        </button>
        <button
          type="button"
          class="button button-secondary"
          onClick={() => {
            setDraft(anyTime);
            apply(anyTime);
          }}
        >
          Any time
        </button>
      </div>
      <p class={problem === undefined ? 'notice-slot' : 'notice notice-error'} role="alert">
        {problem}
      </p>
    </form>
  );
}
