import { useId, useRef } from 'preact/hooks';
import type { EventDetail, Subscription } from '../../api.ts';
import { useCopyOrSelect } from '../../components/copy.ts';
import { Badge, PageHeading, ScrollRegion, useInterval, useLoaded } from '../../components/ui.tsx';
import { formatDateTime } from '../../format.ts';
import { href } from '../../routes.ts';
import type { Session } from '../../session.ts';
import {
  type DeliveryRow,
  deliveryRows,
  type EventProblem,
  eventPath,
  missingEvent,
  noDeliveriesWords,
  prettyJson,
  subscriptionNames,
  unreadableEvent,
} from './model.ts';

/** What the page loaded: the event, or the API's word that there is none. */
type Loaded =
  | { readonly event: EventDetail; readonly problem?: undefined }
  | { readonly event?: undefined; readonly problem: EventProblem };

/** The event's facts: its id, type, resource, when it happened and when the platform received it. */
function Summary({ event }: { event: EventDetail }) {
  return (
    <dl class="facts">
      <dt>Id</dt>
      <dd>
        <code>{event.id}</code>
      </dd>
      <dt>Event type</dt>
      <dd>{event.event_type}</dd>
      <dt>Resource</dt>
      <dd>{event.resource_id === null ? 'None' : <code>{event.resource_id}</code>}</dd>
      <dt>Occurred</dt>
      <dd>{event.occurred_at === null ? 'Not said by its publisher' : formatDateTime(event.occurred_at)}</dd>
      <dt>Received</dt>
      <dd>{formatDateTime(event.created_at)}</dd>
      {event.actor === null ? null : (
        <>
          <dt>Actor</dt>
          <dd>{event.actor}</dd>
        </>
      )}
    </dl>
  );
}

/** The event's data, pretty-printed, with a button that copies it (or selects it where copying is refused). */
function EventData({ data }: { data: unknown }) {
  const id = useId();
  const text = prettyJson(data);
  const block = useRef<HTMLPreElement>(null);
  const [copied, copy] = useCopyOrSelect(text, () => {
    if (block.current !== null) getSelection()?.selectAllChildren(block.current);
  });
  return (
    <>
      <div class="toolbar">
        <button
          type="button"
          class="button button-secondary"
          onClick={copy}
          aria-describedby={`${id}-copied`}
        >
          Copy data
        </button>
        <span class="hint" id={`${id}-copied`} role="status">
          {copied}
        </span>
      </div>
      <ScrollRegion class="json-scroll" label="The event’s data, as JSON">
        <pre class="json" ref={block}>
          {text}
        </pre>
      </ScrollRegion>
    </>
  );
}

/**
 * The event's deliveries, one to each subscription that took it, each linking to its subscription's page: a table
 * on a wide screen, a list of the same facts on a narrow one (CSS shows one of the two).
 */
function Deliveries({ rows }: { rows: readonly DeliveryRow[] }) {
  const subscriptionOf = (row: DeliveryRow) => (
    <a href={row.href}>{row.named ? row.subscription : <code>{row.subscription}</code>}</a>
  );
  return (
    <>
      <ScrollRegion class="wide-table" label="Deliveries of this event">
        <table class="event-deliveries">
          <thead>
            <tr>
              <th scope="col">Subscription</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-delivery-id={row.id}>
                <td>{subscriptionOf(row)}</td>
                <td>
                  <Badge tone={row.status}>{row.statusLabel}</Badge>
                </td>
                <td>{row.attempts}</td>
                <td>{row.lastAnswer}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <ul class="narrow-list" aria-label="Deliveries of this event">
        {rows.map((row) => (
          <li key={row.id} data-delivery-id={row.id}>
            <p class="narrow-list-title">{subscriptionOf(row)}</p>
            <dl class="facts facts-paired">
              <dt>Status</dt>
              <dd>
                <Badge tone={row.status}>{row.statusLabel}</Badge>
              </dd>
              <dt>Attempts</dt>
              <dd>{row.attempts}</dd>
              <dt>Last answer</dt>
              <dd>{row.lastAnswer}</dd>
            </dl>
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * One event of the log: what it is, its data as its webhooks carry it, and its deliveries to each
 * subscription with how they went. It refreshes every few seconds while the tab is visible, so that a
 * delivery's retries show as they happen.
 */
export function EventPage({ id, session }: { id: string; session: Session }) {
  const ids = useId();
  const loaded = useLoaded(async (): Promise<Loaded> => {
    try {
      return { event: (await session.call<EventDetail>('GET', eventPath(id))).data };
    } catch (error) {
      const missing = missingEvent(error);
      if (missing === undefined) throw error;
      return { problem: missing };
    }
  }, [id]);
  // The names are a help, not the page: without them each delivery shows its subscription's id.
  const names = useLoaded(
    () => subscriptionNames(session.readPage<Subscription>).catch(() => new Map<string, string>()),
    [],
  );
  useInterval(() => {
    if (loaded.value?.event !== undefined) void loaded.reload();
  }, 5000);

  const value = loaded.value;
  if (value?.event === undefined) {
    const problem =
      value?.problem ?? (loaded.error === undefined ? undefined : unreadableEvent(loaded.error));
    return (
      <>
        <PageHeading title={problem?.title ?? 'Event'}>{problem?.title ?? 'Event'}</PageHeading>
        {problem === undefined ? (
          <p class="empty">Loading the event…</p>
        ) : (
          <>
            <p role="alert">{problem.text}</p>
            <a href={href.events}>Back to events</a>
          </>
        )}
      </>
    );
  }

  const { event } = value;
  const rows = deliveryRows(event, names.value ?? new Map(), formatDateTime);
  return (
    <>
      <PageHeading title={`Event ${event.event_type}`}>
        <span class="visually-hidden">Event </span>
        {event.event_type}
      </PageHeading>
      <section aria-labelledby={`${ids}-summary`}>
        <h2 id={`${ids}-summary`} class="visually-hidden">
          Summary
        </h2>
        <Summary event={event} />
      </section>
      <section aria-labelledby={`${ids}-data`}>
        <h2 id={`${ids}-data`}>Data</h2>
        <p class="hint">The event’s data as its webhooks carry it (in the JSON body’s “data”).</p>
        <EventData data={event.data} />
      </section>
      <section aria-labelledby={`${ids}-deliveries`}>
        <h2 id={`${ids}-deliveries`}>Deliveries</h2>
        {rows.length === 0 ? <p class="empty">{noDeliveriesWords}</p> : <Deliveries rows={rows} />}
      </section>
    </>
  );
}
