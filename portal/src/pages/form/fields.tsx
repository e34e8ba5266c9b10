import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import type { EventType } from '../../api.ts';
import { eventGroups, resourceLabels, toggled } from './model.ts';

/** A field's errors, as a list its control names in `aria-describedby`. */
export function FieldErrors({ id, errors }: { id: string; errors: string[] | undefined }) {
  if (errors === undefined || errors.length === 0) return null;
  return (
    <ul class="field-errors" id={id}>
      {errors.map((error) => (
        <li key={error}>{error}</li>
      ))}
    </ul>
  );
}

/** The ids of what describes a field (its hint, its errors), those it has; undefined for none. */
export function describedBy(id: string, hint: boolean, errors: string[] | undefined): string | undefined {
  return [hint ? `${id}-hint` : '', errors ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
}

/** What ties a field's control to its label, hint and errors. */
interface Wiring {
  readonly id: string;
  readonly 'aria-invalid': true | undefined;
  readonly 'aria-describedby': string | undefined;
}

/**
 * One text field: its label, an optional hint, its control (made by `control` with the ids and states that tie
 * it to them, as the error summary and screen readers need), and what was wrong with it.
 */
export function TextField({
  id,
  label,
  hint,
  errors,
  control,
}: {
  id: string;
  label: string;
  hint?: ComponentChildren;
  errors: string[] | undefined;
  control: (wiring: Wiring) => ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint === undefined ? null : (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {control({
        id,
        'aria-invalid': errors ? true : undefined,
        'aria-describedby': describedBy(id, hint !== undefined, errors),
      })}
      <FieldErrors id={`${id}-error`} errors={errors} />
    </div>
  );
}

/** A catalog description, whose `quoted` parts are field names. */
function Described({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, index) =>
        // Odd parts were between backticks.
        index % 2 === 1 ? <code key={`${index}-${part}`}>{part}</code> : part,
      )}
    </>
  );
}

/** The catalog's event types, as pickable boxes, by resource; `<resource>.*` takes all of one. */
export function EventPicker({
  types,
  selected,
  onChange,
  describedBy,
  invalid,
}: {
  types: readonly EventType[];
  selected: readonly string[];
  onChange: (events: string[]) => void;
  describedBy: string;
  invalid: boolean;
}) {
  const id = useId();
  const toggle = (value: string, on: boolean) => onChange(toggled(selected, value, on));
  return (
    <fieldset class={invalid ? 'events invalid' : 'events'} aria-describedby={describedBy || undefined}>
      <legend>Event types</legend>
      <p class="hint" id={`${id}-hint`}>
        Pick what this endpoint receives.
      </p>
      <div class="event-groups">
        {eventGroups(types).map(({ resource, types: ofResource }) => {
          const all = `${resource}.*`;
          const allOn = selected.includes(all);
          return (
            <fieldset key={resource} class="event-group">
              <legend>{resourceLabels[resource] ?? resource}</legend>
              <div class="check">
                <input
                  type="checkbox"
                  id={`${id}-${resource}-all`}
                  checked={allOn}
                  onChange={(event) => toggle(all, event.currentTarget.checked)}
                />
                <label for={`${id}-${resource}-all`}>
                  All {resource} events <code>{all}</code>
                </label>
              </div>
              {ofResource.map((type) => {
                const boxId = `${id}-${type.type.replace('.', '-')}`;
                return (
                  <div class="check" key={type.type}>
                    <input
                      type="checkbox"
                      id={boxId}
                      checked={allOn || selected.includes(type.type)}
                      disabled={allOn}
                      aria-describedby={`${boxId}-hint`}
                      onChange={(event) => toggle(type.type, event.currentTarget.checked)}
                    />
                    <label for={boxId}>
                      <code>{type.type}</code>
                    </label>
                    <span class="hint" id={`${boxId}-hint`}>
                      <Described text={type.description} />
                    </span>
                  </div>
                );
              })}
            </fieldset>
          );
        })}
      </div>
    </fieldset>
  );
}
