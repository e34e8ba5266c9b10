import { useId, useState } from 'preact/hooks';
import { type EventSummary, type EventType, messageOf } from '../../api.ts';
import { TimeWindowFields } from '../../components/time-window.tsx';
import { ActionButton, NoticeBar, PageHeading, ScrollRegion, useLoaded } from '../../components/ui.tsx';
import { formatDateTime } from '../../format.ts';
import { href } from '../../router.ts';
import type { Session } from '../../session.ts';
import { windowProblem } from '../../time-window.ts';
import { shortId } from '../list/model.ts';
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

/** The filters' form: event type, resource id and a time window in the browser's time; applied on submit. */
function FilterForm({
  applied,
  types,
  onApply,
}: {
  applied: EventFilters;
  types: readonly EventType[];
  onApply: (filters: EventFilters) => void;
}) {
  const id = useId();
  const [draft, setDraft] = useState(applied);
  const [problem, setProblem] = useState<string | undefined>();
  const set = (change: Partial<EventFilters>) => setDraft((before) => ({ ...before, ...change }));
  const apply = (filters: EventFilters) => {
    const wrong = windowProblem(filters);
    setProblem(wrong);
    if (wrong === undefined) onApply(filters);
  };
  return (
    <form
      class="filters"
      aria-label="Filter events"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        apply(draft);
      }}
    >
      <div class="filter">
        <label for={`${id}-type`}>Event type</label>
        <select
          id={`${id}-type`}
          value={draft.eventType}
          onChange={(event) => set({ eventType: event.currentTarget.value })}
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
          onInput={(event) => set({ resourceId: event.currentTarget.value })}
        />
      </div>
      <TimeWindowFields
        value={draft}
        onChange={(chosen) => set(chosen)}
        what="Events the platform received"
      />
      <div class="actions filters-actions">
        <button type="submit" class="button button-primary">
          Apply filters
        </button>
        <button
          type="button"
          class="button button-secondary"
          onClick={() => {
            setDraft(noFilters);
            apply(noFilters);
          }}
        >
          Clear
        </button>
      </div>
      <p class={problem === undefined ? 'notice-slot' : 'notice notice-error'} role="alert">
        {problem}
      </p>
    </form>
  );
}

/** The events as a table: when the platform received each, its type (a link to it), its resource and its id. */
function EventTable({ events }: { events: readonly EventSummary[] }) {
  return (
    <ScrollRegion label="Events">
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
          {events.map((event) => (
            <tr key={event.id} data-event-id={event.id}>
              <td class="nowrap">{formatDateTime(event.created_at)}</td>
              <td>
                <a href={href.event(event.id)}>{event.event_type}</a>
              </td>
              <td>
                {event.resource_id === null ? (
                  <span class="hint">None</span>
                ) : (
                  <code>{event.resource_id}</code>
                )}
              </td>
              <td>
                {/* The end of the id, seen; all of it for a pointer (title) and for a screen reader. */}
                <code title={event.id} aria-hidden="true">
                  {shortId(event.id)}
                </code>
                <span class="visually-hidden">{event.id}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
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
  const types = useLoaded(
    async () => (await session.call<{ data: EventType[] }>('GET', '/v1/event-types')).data.data,
    [],
  );
  const first = useLoaded(async () => {
    setMore(undefined);
    setMoreError(undefined);
    return firstPage(await session.readPage<EventSummary>(eventsPath(filters)));
  }, [filters]);
  const log = more ?? first.value;
  const problem = first.error ?? moreError;

  return (
    <>
      <PageHeading title="Events">Events</PageHeading>
      <p>
        What was published for your account, newest first. Open an event to see its data and where it was
        delivered.
      </p>
      <FilterForm
        applied={filters}
        types={types.value ?? []}
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
        <p class="empty">{emptyLogWords(filters)}</p>
      ) : (
        <EventTable events={log.events} />
      )}
      {log !== undefined && log.cursor !== null ? (
        <ActionButton
          busyLabel="Loading…"
          onClick={async () => {
            try {
              const page = await session.readPage<EventSummary>(eventsPath(filters, log.cursor));
              setMore(withNextPage(log, page));
              setMoreError(undefined);
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
