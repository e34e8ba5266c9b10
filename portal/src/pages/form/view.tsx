import { useId, useRef, useState } from 'preact/hooks';
import type { EventType, Subscription } from '../../api.ts';
import { Breadcrumbs, type Crumb, PageHeading, useLoaded } from '../../components/ui.tsx';
import { orderingLabel, payloadFormatLabel } from '../../format.ts';
import { navigate } from '../../router.ts';
import { href } from '../../routes.ts';
import type { Session } from '../../session.ts';
import { readSubscription, subscriptionProblemOf } from '../subscription/model.ts';
import { describedBy, EventPicker, FieldErrors, TextField } from './fields.tsx';
import {
  type CreateAttempt,
  createAttempt,
  type Errors,
  emptyValues,
  type Field,
  failureOf,
  formTitle,
  jwtKeyField,
  payloadFormats,
  saveOf,
  summaryLine,
  summaryOf,
  type Values,
  valuesOf,
} from './model.ts';

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
  // The subscription to edit, or what the page says instead when the API has none of this id.
  const original = useLoaded(
    async () =>
      id === undefined
        ? undefined
        : readSubscription(() => session.call<Subscription>('GET', `/v1/webhooks/${id}`), id),
    [id],
  );
  const found = original.value?.answer;
  const [values, setValues] = useState<Values | undefined>(editing ? undefined : emptyValues);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [stale, setStale] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  // The Idempotency-Key of a create, kept while the same body is sent again (after a lost answer).
  const attempt = useRef<CreateAttempt | undefined>(undefined);

  const before = found === undefined ? undefined : valuesOf(found.data);
  const current = values ?? before;
  const title = formTitle(editing, before);

  // Up to the list, and to the subscription by its name once it is found (not before, nor when it is not).
  const trail: Crumb[] = [{ href: href.list, label: 'Subscriptions' }];
  if (editing && found !== undefined) trail.push({ href: href.subscription(id), label: found.data.name });
  const crumbs = editing ? <Breadcrumbs trail={trail} /> : null;

  const problem = subscriptionProblemOf(original.value, original.error);
  if (editing && problem !== undefined) {
    return (
      <>
        {crumbs}
        <PageHeading title={problem.title}>{problem.title}</PageHeading>
        <p role="alert">{problem.text}</p>
        <a href={href.list}>Back to subscriptions</a>
      </>
    );
  }
  if (current === undefined || catalog.value === undefined) {
    return (
      <>
        {crumbs}
        <PageHeading title={title}>{title}</PageHeading>
        <p class="empty" role={catalog.error ? 'alert' : undefined}>
          {catalog.error ?? 'Loading…'}
        </p>
      </>
    );
  }

  const set = (patch: Partial<Values>) => setValues({ ...current, ...patch });
  const keyField = jwtKeyField(current, before);
  const describe = (field: Field) => describedBy(`${form}-${field}`, false, errors[field]);
  const showErrors = (found: Errors) => {
    setErrors(found);
    requestAnimationFrame(() => summary.current?.focus());
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const save = saveOf(current, before);
    if (editing && save.changesNothing) {
      session.carryNotice({ tone: 'info', text: 'Nothing changed, so nothing was saved.' });
      navigate(href.subscription(id));
      return;
    }
    setBusy(true);
    try {
      if (editing) {
        const etag = found?.etag;
        await session.call<Subscription>(
          'PATCH',
          `/v1/webhooks/${id}`,
          save.body,
          etag ? { 'if-match': etag } : {},
        );
        session.carryNotice({ tone: 'success', text: 'Saved your changes.' });
        navigate(href.subscription(id));
      } else {
        attempt.current = createAttempt(attempt.current, save.body, () => crypto.randomUUID());
        const { data } = await session.call<Subscription & { secret: string }>(
          'POST',
          '/v1/webhooks',
          save.body,
          {
            'idempotency-key': attempt.current.key,
          },
        );
        session.showSecretOnce({ id: data.id, secret: data.secret, kind: 'created' });
        navigate(href.subscription(data.id));
      }
    } catch (error) {
      const failure = failureOf(error, save.unread);
      if (failure.stale) setStale(true);
      showErrors(failure.errors);
    } finally {
      setBusy(false);
    }
  };

  const listed = summaryOf(errors);

  return (
    <>
      {crumbs}
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
                      {summaryLine(field, message)}
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

        <fieldset
          class="field"
          id={`${form}-format`}
          tabIndex={-1}
          aria-describedby={describedBy(`${form}-format`, true, errors.format)}
        >
          <legend>Payload format</legend>
          <p class="hint" id={`${form}-format-hint`}>
            JWT (Shipmondo) sends webhooks as Shipmondo does, for receivers written for it: the body{' '}
            <code>{'{"data": "<JWT>"}'}</code>, the JWT signed with a key you choose, and the{' '}
            <code>SMD-*</code> headers.
          </p>
          {payloadFormats.map((format) => (
            <div class="check" key={format}>
              <input
                type="radio"
                name={`${form}-format`}
                id={`${form}-format-${format}`}
                checked={current.format === format}
                onChange={() => set({ format })}
              />
              <label for={`${form}-format-${format}`}>{payloadFormatLabel[format]}</label>
            </div>
          ))}
          <FieldErrors id={`${form}-format-error`} errors={errors.format} />
        </fieldset>

        {keyField === undefined ? null : (
          <TextField
            id={`${form}-jwt_key`}
            label="JWT key"
            hint={keyField.hint}
            errors={errors.jwt_key}
            control={(wiring) => (
              <input
                {...wiring}
                type="password"
                value={current.jwt_key}
                required={keyField.required}
                autocomplete="new-password"
                spellcheck={false}
                onInput={(event) => set({ jwt_key: event.currentTarget.value })}
              />
            )}
          />
        )}

        <fieldset
          class="field"
          id={`${form}-ordering`}
          tabIndex={-1}
          aria-describedby={describedBy(`${form}-ordering`, true, errors.ordering)}
        >
          <legend>Delivery order</legend>
          <p class="hint" id={`${form}-ordering-hint`}>
            In order per resource: each order, shipment or draft's events arrive one at a time, oldest first,
            and an event older than one already delivered is not sent (it shows as superseded). A change
            applies to events from then on.
          </p>
          {(['none', 'resource'] as const).map((ordering) => (
            <div class="check" key={ordering}>
              <input
                type="radio"
                name={`${form}-ordering`}
                id={`${form}-ordering-${ordering}`}
                checked={current.ordering === ordering}
                onChange={() => set({ ordering })}
              />
              <label for={`${form}-ordering-${ordering}`}>{orderingLabel[ordering]}</label>
            </div>
          ))}
          <FieldErrors id={`${form}-ordering-error`} errors={errors.ordering} />
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

        <TextField
          id={`${form}-rate_limit`}
          label="Rate limit (optional)"
          hint="At most this many deliveries a second, 1 to 10000; leave it empty for no limit. Deliveries over the rate wait their turn: they are not failed and use no attempt."
          errors={errors.rate_limit}
          control={(wiring) => (
            <input
              {...wiring}
              class="narrow"
              type="text"
              inputMode="numeric"
              value={current.rate_limit}
              autocomplete="off"
              spellcheck={false}
              onInput={(event) => set({ rate_limit: event.currentTarget.value })}
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
