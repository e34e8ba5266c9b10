import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import { type TimeWindow, windowProblem } from '../time-window.ts';

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
 * A filter form with a time window: the fields `extra` renders (none for a window alone), "From" and "To", and
 * two buttons, one that applies the draft and one that clears it to `cleared`. Nothing applies before a submit
 * (one request per decision, and a screen reader is not interrupted); a window the portal can tell is wrong is
 * said in words and not applied.
 */
export function FilterForm<Filters extends TimeWindow>({
  applied,
  cleared,
  onApply,
  label,
  applyLabel,
  clearLabel,
  what,
  extra,
}: {
  applied: Filters;
  cleared: Filters;
  onApply: (chosen: Filters) => void;
  label: string;
  applyLabel: string;
  clearLabel: string;
  /** What the window holds, for its hint: "Events the platform received". */
  what: string;
  extra?: (draft: Filters, change: (change: Partial<Filters>) => void) => ComponentChildren;
}) {
  const [draft, setDraft] = useState(applied);
  const [problem, setProblem] = useState<string | undefined>();
  const change = (part: Partial<Filters>) => setDraft((before) => ({ ...before, ...part }));
  const apply = (chosen: Filters) => {
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
      {extra?.(draft, change)}
      <TimeWindowFields value={draft} onChange={(chosen) => change(chosen as Partial<Filters>)} what={what} />
      <div class="actions filters-actions">
        <button type="submit" class="button button-secondary">
          {applyLabel}
        </button>
        <button
          type="button"
          class="button button-secondary"
          onClick={() => {
            setDraft(cleared);
            apply(cleared);
          }}
        >
          {clearLabel}
        </button>
      </div>
      <p class={problem === undefined ? 'notice-slot' : 'notice notice-error'} role="alert">
        {problem}
      </p>
    </form>
  );
}
