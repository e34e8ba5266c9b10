import { useId } from 'preact/hooks';
import type { TimeWindow } from '../time-window.ts';

/**
 * A time window's two inputs, "From" and "To", in the browser's time, with a hint that says what they hold
 * (`what`: "Events the platform received"); the form around them decides when the window applies.
 */
export function TimeWindowFields({
  window,
  onChange,
  what,
}: {
  window: TimeWindow;
  onChange: (window: TimeWindow) => void;
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
          value={window.from}
          aria-describedby={`${id}-hint`}
          onInput={(event) => onChange({ ...window, from: event.currentTarget.value })}
        />
      </div>
      <div class="filter">
        <label for={`${id}-to`}>To</label>
        <input
          id={`${id}-to`}
          type="datetime-local"
          value={window.to}
          aria-describedby={`${id}-hint`}
          onInput={(event) => onChange({ ...window, to: event.currentTarget.value })}
        />
      </div>
      <p class="hint filters-hint" id={`${id}-hint`}>
        Your local time. {what} from “From” up to, not including, “To”.
      </p>
    </>
  );
}
