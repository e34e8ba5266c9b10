import type { ComponentChildren } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import {
  type Answer,
  ApiError,
  type EventType,
  type FieldError,
  messageOf,
  type Subscription,
} from '../api.ts';
import { PageHeading, useLoaded } from '../components/ui.tsx';
import { href, navigate } from '../router.ts';
import type { Session } from '../session.ts';

/** The form's fields, as typed. */
interface Values {
  readonly name: string;
  readonly description: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly filter: string;
  readonly format: 'json' | 'xml';
  readonly headers: string;
}

type Field = 'name' | 'description' | 'url' | 'events' | 'filter' | 'format' | 'headers';
const fields: readonly Field[] = ['name', 'description', 'url', 'events', 'filter', 'format', 'headers'];
const fieldLabels: Record<Field, string> = {
  name: 'Name',
  description: 'Description',
  url: 'Endpoint URL',
  events: 'Event types',
  filter: 'Content filter',
  format: 'Payload format',
  headers: 'Custom headers',
};

const resourceLabels: Record<string, string> = {
  order: 'Orders',
  shipment: 'Shipments',
  draft: 'Draft shipments',
};

const empty: Values = {
  name: '',
  description: '',
  url: '',
  events: [],
  filter: '',
  format: 'json',
  headers: '',
};

function valuesOf(subscription: Subscription): Values {
  return {
    name: subscription.name,
    description: subscription.description ?? '',
    url: subscription.url,
    events: subscription.events,
    filter: subscription.filter === null ? '' : JSON.stringify(subscription.filter, null, 2),
    format: subscription.format,
    headers: Object.entries(subscription.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
  };
}

/** The errors of a field, each in words that stand alone (`X-Team: is not a valid header name`). */
type Errors = Partial<Record<Field | 'form', string[]>>;

function errorsFrom(list: readonly FieldError[]): Errors {
  const errors: Errors = {};
  for (const { field, message } of list) {
    const [head = '', ...rest] = field.split('.');
    const key: Field | 'form' = (fields as readonly string[]).includes(head) ? (head as Field) : 'form';
    const where = key === 'form' ? (field === 'body' ? '' : field) : rest.join('.');
    errors[key] = [...(errors[key] ?? []), where === '' ? message : `${where}: ${message}`];
  }
  return errors;
}

/** Reads the text fields that hold JSON and header lines; what cannot be read is the portal's own error. */
function parsed(values: Values): { filter?: unknown; headers?: Record<string, string>; errors: Errors } {
  const errors: Errors = {};
  let filter: unknown;
  if (values.filter.trim() !== '') {
    try {
      filter = JSON.parse(values.filter);
    } catch (error) {
      errors.filter = [`is not valid JSON (${(error as Error).message})`];
    }
  }
  let headers: Record<string, string> | undefined;
  const lines = values.headers.split('\n').filter((line) => line.trim() !== '');
  if (lines.length > 0) {
    headers = {};
    lines.forEach((line, index) => {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        errors.headers = [...(errors.headers ?? []), `line ${index + 1}: write it as Name: value`];
        return;
      }
      (headers as Record<string, string>)[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    });
  }
  return {
    ...(filter === undefined ? {} : { filter }),
    ...(headers === undefined ? {} : { headers }),
    errors,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The event types to save: a type that a chosen `<resource>.*` covers goes without saying and is left out
 * (the picker still shows it ticked, and ticked again if the wildcard is taken back).
 */
function savedEvents(events: readonly string[]): string[] {
  const wildcards = new Set(
    events.filter((event) => event.endsWith('.*')).map((event) => event.slice(0, -2)),
  );
  return [...new Set(events)].filter(
    (event) => event.endsWith('.*') || !wildcards.has(event.split('.')[0] ?? ''),
  );
}

/** The body of a create, or of a PATCH with only what changed (`null` removes an optional field). */
function bodyOf(values: Values, before: Values | undefined, filter: unknown, headers: unknown) {
  const wanted: Record<string, unknown> = {
    name: values.name,
    description: values.description.trim() === '' ? null : values.description,
    url: values.url.trim(),
    events: savedEvents(values.events),
    filter: values.filter.trim() === '' ? null : filter,
    format: values.format,
    headers: values.headers.trim() === '' ? null : headers,
  };
  if (before === undefined) {
    return Object.fromEntries(Object.entries(wanted).filter(([, value]) => value !== null));
  }
  const previous = parsed(before);
  const was: Record<string, unknown> = {
    name: before.name,
    description: before.description.trim() === '' ? null : before.description,
    url: before.url,
    events: savedEvents(before.events),
    filter: before.filter.trim() === '' ? null : previous.filter,
    format: before.format,
    headers: before.headers.trim() === '' ? null : previous.headers,
  };
  return Object.fromEntries(Object.entries(wanted).filter(([key, value]) => !same(value, was[key])));
}

function FieldErrors({ id, errors }: { id: string; errors: string[] | undefined }) {
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
function describedBy(id: string, hint: boolean, errors: string[] | undefined): string | undefined {
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
function TextField({
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
function EventPicker({
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
  const resources = [...new Set(types.map((type) => type.type.split('.')[0] ?? ''))];
  const toggle = (value: string, on: boolean) =>
    onChange(on ? [...selected, value] : selected.filter((event) => event !== value));
  return (
    <fieldset class={invalid ? 'events invalid' : 'events'} aria-describedby={describedBy || undefined}>
      <legend>Event types</legend>
      <p class="hint" id={`${id}-hint`}>
        Pick what this endpoint receives.
      </p>
      <div class="event-groups">
        {resources.map((resource) => {
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
              {types
                .filter((type) => type.type.startsWith(`${resource}.`))
                .map((type) => {
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

/**
 * Create a subscription, or change one. The event types come from the catalog; the content filter is checked
 * by the API, whose messages are shown next to the field they are about (and listed at the top, where the
 * focus goes), together with the portal's own about what it could not read. An edit sends only what changed,
 * conditional on the version it was opened at, and the subscription's page then says it was saved.
 */
export function SubscriptionFormPage({ id, session }: { id?: string; session: Session }) {
  const editing = id !== undefined;
  const form = useId();
  const catalog = useLoaded(
    async () => (await session.call<{ data: EventType[] }>('GET', '/v1/event-types')).data.data,
    [],
  );
  const original = useLoaded(async (): Promise<Answer<Subscription> | undefined> => {
    return id === undefined ? undefined : session.call<Subscription>('GET', `/v1/webhooks/${id}`);
  }, [id]);
  const [values, setValues] = useState<Values | undefined>(editing ? undefined : empty);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [stale, setStale] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  // The Idempotency-Key of a create, kept while the same body is sent again (after a lost answer).
  const attempt = useRef<{ body: string; key: string } | undefined>(undefined);

  const before = original.value === undefined ? undefined : valuesOf(original.value.data);
  const current = values ?? before;
  const title = editing ? `Edit ${before?.name ?? 'subscription'}` : 'New subscription';

  if (editing && original.error !== undefined) {
    return (
      <>
        <PageHeading title="Subscription not found">Subscription not found</PageHeading>
        <p role="alert">{original.error}</p>
        <a href={href.list}>Back to subscriptions</a>
      </>
    );
  }
  if (current === undefined || catalog.value === undefined) {
    return (
      <>
        <PageHeading title={title}>{title}</PageHeading>
        <p class="empty" role={catalog.error ? 'alert' : undefined}>
          {catalog.error ?? 'Loading…'}
        </p>
      </>
    );
  }

  const set = (patch: Partial<Values>) => setValues({ ...current, ...patch });
  const describe = (field: Field) => describedBy(`${form}-${field}`, false, errors[field]);
  const showErrors = (found: Errors) => {
    setErrors(found);
    requestAnimationFrame(() => summary.current?.focus());
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const read = parsed(current);
    // A field the portal cannot read is sent as typed, as text: the API refuses text where it wants an
    // object, so nothing is saved, and it still checks every other field, so that all the problems are
    // listed at once. The portal's own message says better what is wrong with that field.
    const unread = read.errors;
    const body = bodyOf(
      current,
      before,
      unread.filter ? current.filter : read.filter,
      unread.headers ? current.headers : read.headers,
    );
    if (editing && Object.keys(body).length === 0) {
      session.carryNotice({ tone: 'info', text: 'Nothing changed, so nothing was saved.' });
      navigate(href.subscription(id));
      return;
    }
    setBusy(true);
    try {
      if (editing) {
        const etag = original.value?.etag;
        await session.call<Subscription>(
          'PATCH',
          `/v1/webhooks/${id}`,
          body,
          etag ? { 'if-match': etag } : {},
        );
        session.carryNotice({ tone: 'success', text: 'Saved your changes.' });
        navigate(href.subscription(id));
      } else {
        const text = JSON.stringify(body);
        if (attempt.current?.body !== text) attempt.current = { body: text, key: crypto.randomUUID() };
        const { data } = await session.call<Subscription & { secret: string }>('POST', '/v1/webhooks', body, {
          'idempotency-key': attempt.current.key,
        });
        session.showSecretOnce({ id: data.id, secret: data.secret, kind: 'created' });
        navigate(href.subscription(data.id));
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) setStale(true);
      const found =
        error instanceof ApiError && error.errors.length > 0 && error.status !== 412
          ? errorsFrom(error.errors)
          : { form: [messageOf(error)] };
      showErrors({ ...found, ...unread });
    } finally {
      setBusy(false);
    }
  };

  const listed = [
    ...(errors.form ?? []).map((message) => ({ field: undefined, message })),
    ...fields.flatMap((field) => (errors[field] ?? []).map((message) => ({ field, message }))),
  ];

  return (
    <>
      <PageHeading title={title}>{title}</PageHeading>
      <form
        class="form"
        noValidate
        onSubmit={submit}
        aria-describedby={listed.length > 0 ? `${form}-summary` : undefined}
      >
        {listed.length > 0 ? (
          <div class="error-summary" id={`${form}-summary`} tabIndex={-1} ref={summary} role="alert">
            <h2>The subscription was not saved</h2>
            <ul>
              {listed.map(({ field, message }) => (
                <li key={`${field}-${message}`}>
                  {field === undefined ? (
                    message
                  ) : (
                    <button
                      type="button"
                      class="link"
                      onClick={() => document.getElementById(`${form}-${field}`)?.focus()}
                    >
                      {fieldLabels[field]}: {message.replace(/\s*\n\s*/g, ' ')}
                    </button>
                  )}
                </li>
              ))}
            </ul>
            {stale ? (
              <button type="button" class="button button-secondary" onClick={() => location.reload()}>
                Reload the subscription
              </button>
            ) : null}
          </div>
        ) : null}

        <TextField
          id={`${form}-name`}
          label="Name"
          errors={errors.name}
          control={(wiring) => (
            <input
              {...wiring}
              type="text"
              value={current.name}
              required
              maxLength={200}
              autocomplete="off"
              onInput={(event) => set({ name: event.currentTarget.value })}
            />
          )}
        />

        <TextField
          id={`${form}-url`}
          label="Endpoint URL"
          hint="Where the webhooks are sent, e.g. https://example.com/webhooks"
          errors={errors.url}
          control={(wiring) => (
            <input
              {...wiring}
              type="url"
              inputMode="url"
              value={current.url}
              required
              autocomplete="off"
              spellcheck={false}
              onInput={(event) => set({ url: event.currentTarget.value })}
            />
          )}
        />

        <div class="field" id={`${form}-events`} tabIndex={-1}>
          <EventPicker
            types={catalog.value}
            selected={current.events}
            onChange={(events) => set({ events })}
            describedBy={describe('events') ?? ''}
            invalid={errors.events !== undefined}
          />
          <FieldErrors id={`${form}-events-error`} errors={errors.events} />
        </div>

        <TextField
          id={`${form}-filter`}
          label="Content filter (optional)"
          hint={
            <>
              An EventBridge event pattern matched against the webhook body; only events that match are sent.
              For example <code>{'{"data": {"status": ["Shipped"]}}'}</code>
            </>
          }
          errors={errors.filter}
          control={(wiring) => (
            <textarea
              {...wiring}
              class="code"
              rows={4}
              value={current.filter}
              spellcheck={false}
              onInput={(event) => set({ filter: event.currentTarget.value })}
            />
          )}
        />

        <TextField
          id={`${form}-description`}
          label="Description (optional)"
          errors={errors.description}
          control={(wiring) => (
            <textarea
              {...wiring}
              rows={2}
              value={current.description}
              onInput={(event) => set({ description: event.currentTarget.value })}
            />
          )}
        />

        <fieldset class="field" id={`${form}-format`} tabIndex={-1} aria-describedby={describe('format')}>
          <legend>Payload format</legend>
          {(['json', 'xml'] as const).map((format) => (
            <div class="check" key={format}>
              <input
                type="radio"
                name={`${form}-format`}
                id={`${form}-format-${format}`}
                checked={current.format === format}
                onChange={() => set({ format })}
              />
              <label for={`${form}-format-${format}`}>{format === 'json' ? 'JSON' : 'XML'}</label>
            </div>
          ))}
          <FieldErrors id={`${form}-format-error`} errors={errors.format} />
        </fieldset>

        <TextField
          id={`${form}-headers`}
          label="Custom headers (optional)"
          hint={
            <>
              Sent with every webhook, one per line: <code>Name: value</code>
            </>
          }
          errors={errors.headers}
          control={(wiring) => (
            <textarea
              {...wiring}
              class="code"
              rows={2}
              value={current.headers}
              spellcheck={false}
              onInput={(event) => set({ headers: event.currentTarget.value })}
            />
          )}
        />

        <div class="actions">
          <button type="submit" class="button button-primary" aria-disabled={busy}>
            {busy ? 'Saving…' : editing ? 'Save changes' : 'Create subscription'}
          </button>
          <a class="button button-secondary" href={editing ? href.subscription(id) : href.list}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
