import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { type Attempt, type Delivery, messageOf, type SentRequest } from '../../api.ts';
import { FilterForm } from '../../components/time-window.tsx';
import { ActionButton, Badge, ScrollRegion } from '../../components/ui.tsx';
import {
  attemptResult,
  deliveryStatusLabel,
  formatDateTime,
  formatLatency,
  formatRelative,
  triggerLabel,
} from '../../format.ts';
import { href } from '../../routes.ts';
import type { Notice } from '../../session.ts';
import { anyTime, type TimeWindow } from '../../time-window.ts';
import { type DeliveryFilter, noDeliveriesWords, offersRetry } from './model.ts';
import { SentRequestPanel } from './sent-request.tsx';

const statusTone: Record<Delivery['status'], string> = {
  pending: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
  superseded: 'superseded',
};

/** A delivery's latest attempt in a few words: "HTTP 500, 12 ms, 1 minute ago". */
function latest(delivery: Delivery): string {
  const attempt = delivery.attempts.at(-1);
  if (attempt === undefined) return 'Not attempted yet';
  const latency = attempt.latency_ms === null ? '' : `, ${formatLatency(attempt.latency_ms)}`;
  return `${attemptResult(attempt)}${latency}, ${formatRelative(attempt.at)}`;
}

function Excerpt({ text }: { text: string | null }) {
  return text ? <pre class="excerpt">{text}</pre> : <span class="hint">None</span>;
}

function Result({ attempt }: { attempt: Attempt }) {
  return (
    <>
      {attemptResult(attempt)}
      {attempt.error_detail ? <span class="hint"> ({attempt.error_detail})</span> : null}
    </>
  );
}

/**
 * A delivery's attempts: a table on a wide screen, a list of the same facts on a narrow one (CSS shows one
 * of the two; the other is `display: none`, so assistive technology meets only the one shown).
 */
function Attempts({ delivery }: { delivery: Delivery }) {
  if (delivery.attempts.length === 0) return <p>No attempt yet.</p>;
  return (
    <>
      <ScrollRegion class="wide-table" label={`Attempts of ${delivery.event_type}`}>
        <table class="attempts">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Trigger</th>
              <th scope="col">Result</th>
              <th scope="col">Latency</th>
              <th scope="col">Response</th>
            </tr>
          </thead>
          <tbody>
            {delivery.attempts.map((attempt, index) => (
              <tr key={`${index}-${attempt.at}`}>
                <td>{formatDateTime(attempt.at)}</td>
                <td>{triggerLabel[attempt.trigger]}</td>
                <td>
                  <Result attempt={attempt} />
                </td>
                <td>{formatLatency(attempt.latency_ms)}</td>
                <td>
                  <Excerpt text={attempt.response_excerpt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <ol class="narrow-list" aria-label={`Attempts of ${delivery.event_type}`}>
        {delivery.attempts.map((attempt, index) => (
          <li key={`${index}-${attempt.at}`}>
            <dl class="facts">
              <dt>Time</dt>
              <dd>{formatDateTime(attempt.at)}</dd>
              <dt>Trigger</dt>
              <dd>{triggerLabel[attempt.trigger]}</dd>
              <dt>Result</dt>
              <dd>
                <Result attempt={attempt} />
              </dd>
              <dt>Latency</dt>
              <dd>{formatLatency(attempt.latency_ms)}</dd>
              <dt>Response</dt>
              <dd>
                <Excerpt text={attempt.response_excerpt} />
              </dd>
            </dl>
          </li>
        ))}
      </ol>
    </>
  );
}

/**
 * A subscription's deliveries, newest first, filterable by status: each with its latest result and, on
 * demand, every attempt; each can be retried. What is open stays open while the list refreshes.
 */
export function DeliveryList({
  deliveries,
  filter,
  onFilter,
  timeWindow,
  onTimeWindow,
  hasMore,
  onMore,
  onRetry,
  readRequest,
  canRetry,
  loading,
  opened,
}: {
  deliveries: readonly Delivery[];
  filter: DeliveryFilter;
  onFilter: (filter: DeliveryFilter) => void;
  /** The time window of the deliveries' events, and what applies another. */
  timeWindow: TimeWindow;
  onTimeWindow: (chosen: TimeWindow) => void;
  hasMore: boolean;
  onMore: () => Promise<void>;
  onRetry: (delivery: Delivery) => Promise<void>;
  /** The request a delivery's latest attempt sent (read when its attempts are opened). */
  readRequest: (deliveryId: string) => Promise<SentRequest | null>;
  canRetry: boolean;
  loading: boolean;
  /** A delivery whose attempts are open from the start (one a link opened). */
  opened?: string | undefined;
}) {
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set(opened === undefined ? [] : [opened]));
  const id = useId();
  // After "Show more", where the deliveries it asked for begin: once they came (the list is read again, longer)
  // and the button is gone with the last of them, the first one's control takes the focus, which would otherwise
  // fall to the page's body. Another filter or window forgets it.
  const [firstNew, setFirstNew] = useState<number | undefined>();
  const firstNewSummary = useRef<HTMLElement>(null);
  useEffect(() => {
    if (firstNew === undefined || loading || deliveries.length <= firstNew) return;
    if (!hasMore) firstNewSummary.current?.focus();
    setFirstNew(undefined);
  }, [firstNew, loading, deliveries.length, hasMore]);
  return (
    <div>
      <div class="toolbar">
        <label for={`${id}-status`}>Show</label>
        <select
          id={`${id}-status`}
          value={filter}
          onChange={(event) => {
            setFirstNew(undefined);
            onFilter(event.currentTarget.value as DeliveryFilter);
          }}
        >
          <option value="">All deliveries</option>
          <option value="pending">Pending</option>
          <option value="succeeded">Succeeded</option>
          <option value="failed">Failed</option>
          <option value="superseded">Superseded</option>
        </select>
      </div>
      <FilterForm
        applied={timeWindow}
        cleared={anyTime}
        onApply={(chosen) => {
          setFirstNew(undefined);
          onTimeWindow(chosen);
        }}
        label="Deliveries’ time window"
        applyLabel="Apply time window"
        clearLabel="Any time"
        what="Deliveries of events the platform received"
      />
      {deliveries.length === 0 ? (
        <p class="empty">
          {loading ? 'Loading deliveries…' : noDeliveriesWords({ filter, window: timeWindow })}
        </p>
      ) : (
        <ul class="deliveries">
          {deliveries.map((delivery, index) => (
            <li key={delivery.id} class="delivery" data-delivery-id={delivery.id}>
              {/* The head of the delivery a link opened takes the focus once it is shown (view.tsx). */}
              <div class="delivery-head" tabIndex={delivery.id === opened ? -1 : undefined}>
                <span class="event-type">{delivery.event_type}</span>
                <Badge tone={statusTone[delivery.status]}>{deliveryStatusLabel[delivery.status]}</Badge>
              </div>
              <p class="delivery-meta">
                <span>Latest: {latest(delivery)}</span>
                <span>
                  {delivery.attempt_count} attempt{delivery.attempt_count === 1 ? '' : 's'}
                </span>
                {delivery.status === 'superseded' ? (
                  <span>
                    Not sent: a newer event of its resource was delivered first
                    {delivery.superseded_by ? (
                      <>
                        {' '}
                        (
                        <a href={href.event(delivery.superseded_by)}>
                          <code>{delivery.superseded_by}</code>
                        </a>
                        )
                      </>
                    ) : null}
                  </span>
                ) : delivery.held_since ? (
                  <span>
                    Held ({formatRelative(delivery.held_since)}): sent once the endpoint answers again
                  </span>
                ) : delivery.next_attempt_at ? (
                  <span>Next attempt {formatRelative(delivery.next_attempt_at)}</span>
                ) : null}
              </p>
              <p class="delivery-id">
                <span>
                  <span class="hint">Event </span>
                  <a href={href.event(delivery.event_id)}>
                    <code>{delivery.event_id}</code>
                  </a>
                </span>
                <span>
                  <span class="hint">Delivery </span>
                  <code>{delivery.id}</code>
                </span>
              </p>
              <details
                open={open.has(delivery.id)}
                onToggle={(event) => {
                  const isOpen = event.currentTarget.open;
                  setOpen((before) => {
                    const next = new Set(before);
                    if (isOpen) next.add(delivery.id);
                    else next.delete(delivery.id);
                    return next;
                  });
                }}
              >
                <summary ref={index === firstNew ? firstNewSummary : undefined}>
                  Attempts ({delivery.attempts.length})
                </summary>
                <Attempts delivery={delivery} />
                {open.has(delivery.id) ? (
                  <SentRequestPanel
                    load={() => readRequest(delivery.id)}
                    attempts={delivery.attempts.length}
                  />
                ) : null}
              </details>
              {canRetry && offersRetry(delivery) ? (
                <ActionButton onClick={() => onRetry(delivery)} busyLabel="Retrying…">
                  Retry now
                </ActionButton>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {hasMore ? (
        <ActionButton
          onClick={async () => {
            const shown = deliveries.length;
            await onMore();
            setFirstNew(shown);
          }}
          busyLabel="Loading…"
        >
          Show more deliveries
        </ActionButton>
      ) : null}
    </div>
  );
}

/** The datetime-local value for a moment, in this browser's time zone. */
function localInputValue(moment: Date): string {
  const shifted = new Date(moment.getTime() - moment.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

/** One more attempt of every failed delivery since a time (24 hours ago unless changed). */
export function RecoverForm({
  onRecover,
  disabled,
}: {
  onRecover: (since: Date) => Promise<Notice>;
  disabled: boolean;
}) {
  const id = useId();
  const [since, setSince] = useState(() => localInputValue(new Date(Date.now() - 24 * 3_600_000)));
  const [result, setResult] = useState<Notice | undefined>();
  const recover = async () => {
    const moment = new Date(since);
    if (since === '' || Number.isNaN(moment.getTime())) {
      setResult({ tone: 'error', text: 'Give a date and time to recover from.' });
      return;
    }
    try {
      setResult(await onRecover(moment));
    } catch (error) {
      setResult({ tone: 'error', text: messageOf(error) });
    }
  };
  return (
    <form
      class="recover"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!disabled) void recover();
      }}
    >
      <label for={`${id}-since`}>Failed since</label>
      <p class="hint" id={`${id}-hint`}>
        Your local time. Every delivery that failed since then gets one more attempt now.
      </p>
      <div class="copy-row">
        <input
          id={`${id}-since`}
          type="datetime-local"
          value={since}
          aria-describedby={`${id}-hint`}
          onInput={(event) => setSince(event.currentTarget.value)}
        />
        <ActionButton disabled={disabled} busyLabel="Recovering…" onClick={recover}>
          Recover failed deliveries
        </ActionButton>
      </div>
      <p class={result === undefined ? 'notice-slot' : `notice notice-${result.tone}`} role="status">
        {result?.text}
      </p>
    </form>
  );
}
