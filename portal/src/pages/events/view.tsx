import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { type EventSummary, type EventType, messageOf } from '../../api.ts';
import { ShortId } from '../../components/short-id.tsx';
import { FilterForm } from '../../components/time-window.tsx';
import { ActionButton, NoticeBar, PageHeading, ScrollRegion, useLoaded } from '../../components/ui.tsx';
import { formatDateTime } from '../../format.ts';
import { href } from '../../routes.ts';
import type { Session } from '../../session.ts';
import {
  type EventFilters,
  type EventLog,
  emptyLogWords,
  eventsPath,
  eventTypeChoices,
  firstPage,
  noFilters,
  withNextPage,
} from './model.ts';

/**
 * The filters last applied in this tab: back from an event's page, the log opens as it was left. Kept here,
 * not in the address, because the log's address is a link people share without them.
 */
let lastApplied: EventFilters = noFilters;

/** The fields of the log's filters besides its time window: the event type and the resource id. */
function TypeAndResource({
  draft,
  change,
  types,
}: {
  draft: EventFilters;
  change: (change: Partial<EventFilters>) => void;
  types: readonly EventType[];
}) {
  const id = useId();
  return (
    <>
      <div class="filter">
        <label for={`${id}-type`}>Event type</label>
        <select
          id={`${id}-type`}
          value={draft.eventType}
          onChange={(event) => change({ eventType: event.currentTarget.value })}
        >
          <option value="">All event types</option>
          {eventTypeChoices(types).map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      </div>
      <div class="filter">
        <label for={`${id}-resource`}>Resource id</label>
        <input
          id={`${id}-resource`}
          type="text"
          value={draft.resourceId}
          placeholder="e.g. ord_1042"
          spellcheck={false}
          autocomplete="off"
          onInput={(event) => change({ resourceId: event.currentTarget.value })}
        />
      </div>
    </>
  );
}

/**
 * The events as a table on a wide screen (when the platform received each, its type, a link to it, its resource
 * and its id) and as a list of the same facts on a narrow one, where four columns do not fit; CSS shows one of the
 * two. `focusRow`: the event whose link takes the keyboard focus, in the one shown (the first of the last page,
 * once "Load more" is gone).
 */
function EventTable({
  events,
  focusRow,
}: {
  events: readonly EventSummary[];
  focusRow?: number | undefined;
}) {
  const inTable = useRef<HTMLAnchorElement>(null);
  const inList = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    // The one of the two links that is laid out (the other is display: none).
    [inTable.current, inList.current]
      .find((link) => link !== null && link.getClientRects().length > 0)
      ?.focus();
  }, [focusRow]);
  const resourceOf = (event: EventSummary) =>
    event.resource_id === null ? <span class="hint">None</span> : <code>{event.resource_id}</code>;
  return (
    <>
      <ScrollRegion class="wide-table" label="Events">
        <table class="events">
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Event type</th>
              <th scope="col">Resource</th>
              <th scope="col">Id</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event, index) => (
              <tr key={event.id} data-event-id={event.id}>
                <td class="nowrap">{formatDateTime(event.created_at)}</td>
                <td>
                  <a href={href.event(event.id)} ref={index === focusRow ? inTable : undefined}>
                    {event.event_type}
                  </a>
                </td>
                <td>{resourceOf(event)}</td>
                <td>
                  <ShortId id={event.id} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <ul class="narrow-list" aria-label="Events">
        {events.map((event, index) => (
          <li key={event.id} data-event-id={event.id}>
            <p class="narrow-list-title">
              <a href={href.event(event.id)} ref={index === focusRow ? inList : undefined}>
                {event.event_type}
              </a>
            </p>
            <dl class="facts facts-paired">
              <dt>Received</dt>
              <dd>{formatDateTime(event.created_at)}</dd>
              <dt>Resource</dt>
              <dd>{resourceOf(event)}</dd>
              <dt>Id</dt>
              <dd>
                <code>{event.id}</code>
              </dd>
            </dl>
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * The account's events log, newest first: every event the platform received for it, whether or not a
 * subscription took it, filtered by type, resource and time window, a page at a time ("Load more").
 */
export function EventsPage({ session }: { session: Session }) {
  const [filters, setFilters] = useState(lastApplied);
  const [more, setMore] = useState<EventLog | undefined>();
  const [moreError, setMoreError] = useState<string | undefined>();
  // The last page's first row: "Load more" had the focus, and is gone with the last page, which would leave the
  // focus on the page's body and a keyboard user at its top.
  const [focusRow, setFocusRow] = useState<number | undefined>();
  const types = useLoaded(
    async () => (await session.call<{ data: EventType[] }>('GET', '/v1/event-types')).data.data,
    [],
  );
  const first = useLoaded(async () => {
    setMore(undefined);
    setMoreError(undefined);
    setFocusRow(undefined);
    return firstPage(await session.readPage<EventSummary>(eventsPath(filters)));
  }, [filters]);
  const log = more ?? first.value;
  const problem = first.error ?? moreError;

  return (
    <>
      <div class="page-head">
        <PageHeading title="Events">Events</PageHeading>
        {/* The log does not refresh itself (rows would move under a reader); this loads its first page again. */}
        <ActionButton busyLabel="Refreshing…" onClick={first.reload}>
          Refresh
        </ActionButton>
      </div>
      <p>
        What was published for your account, newest first. Open an event to see its data and where it was
        delivered.
      </p>
      <FilterForm
        applied={filters}
        cleared={noFilters}
        label="Filter events"
        applyLabel="Apply filters"
        clearLabel="Clear"
        what="Events the platform received"
        extra={(draft, change) => <TypeAndResource draft={draft} change={change} types={types.value ?? []} />}
        onApply={(next) => {
          lastApplied = next;
          setFilters(next);
        }}
      />
      <NoticeBar notice={problem === undefined ? undefined : { tone: 'error', text: problem }} />
      {log === undefined ? (
        first.error === undefined ? (
          <p class="empty">Loading events…</p>
        ) : null
      ) : log.events.length === 0 ? (
        <p class="empty">{emptyLogWords(filters, log.cursor !== null)}</p>
      ) : (
        <EventTable events={log.events} focusRow={focusRow} />
      )}
      {log !== undefined && log.cursor !== null ? (
        <ActionButton
          busyLabel="Loading…"
          onClick={async () => {
            try {
              const page = await session.readPage<EventSummary>(eventsPath(filters, log.cursor));
              const next = withNextPage(log, page);
              setMore(next);
              setMoreError(undefined);
              if (next.cursor === null) setFocusRow(log.events.length);
            } catch (error) {
              setMoreError(messageOf(error));
            }
          }}
        >
          Load more events
        </ActionButton>
      ) : null}
    </>
  );
}
