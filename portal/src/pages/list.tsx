import { useState } from 'preact/hooks';
import type { Delivery, Page, Subscription } from '../api.ts';
import {
  ActionButton,
  Badge,
  NoticeBar,
  PageHeading,
  useInterval,
  useLoaded,
  useNotice,
} from '../components/ui.tsx';
import { attemptResult, deliveryStatusLabel, formatRelative, statusLabel } from '../format.ts';
import { href } from '../router.ts';
import type { Session } from '../session.ts';

/** A subscription with the outcome of its latest delivery (undefined: none yet; null: could not be read). */
interface Row {
  readonly subscription: Subscription;
  readonly latest: Delivery | undefined | null;
}

async function withLatest(session: Session, subscriptions: readonly Subscription[]): Promise<Row[]> {
  return Promise.all(
    subscriptions.map(async (subscription) => {
      try {
        const { data } = await session.call<Page<Delivery>>(
          'GET',
          `/v1/webhooks/${subscription.id}/deliveries?limit=1`,
        );
        return { subscription, latest: data.data[0] };
      } catch {
        return { subscription, latest: null };
      }
    }),
  );
}

function LatestOutcome({ latest }: { latest: Row['latest'] }) {
  if (latest === null) return <span class="hint">Could not be read</span>;
  if (latest === undefined) return <span class="hint">No deliveries yet</span>;
  const attempt = latest.attempts.at(-1);
  return (
    <span>
      <Badge tone={latest.status}>{deliveryStatusLabel[latest.status]}</Badge>{' '}
      {attempt === undefined ? latest.event_type : `${attemptResult(attempt)}, ${formatRelative(attempt.at)}`}
    </span>
  );
}

/** The account's subscriptions, newest first, each with its status and how its latest delivery went. */
export function SubscriptionListPage({ session }: { session: Session }) {
  const [notice] = useNotice(session);
  const [more, setMore] = useState<{ rows: Row[]; cursor: string | null }>({ rows: [], cursor: null });
  const first = useLoaded(async () => {
    const { data } = await session.call<Page<Subscription>>('GET', '/v1/webhooks?limit=20');
    setMore({ rows: [], cursor: data.next_cursor });
    return withLatest(session, data.data);
  }, []);
  // Keeps the outcomes current; not once more pages are shown (a refresh would drop them).
  useInterval(() => {
    if (more.rows.length === 0) void first.reload();
  }, 10_000);
  const rows = [...(first.value ?? []), ...more.rows];

  return (
    <>
      <div class="page-head">
        <PageHeading title="Subscriptions">Subscriptions</PageHeading>
        <a class="button button-primary" href={href.new}>
          New subscription
        </a>
      </div>
      <NoticeBar notice={notice ?? (first.error ? { tone: 'error', text: first.error } : undefined)} />
      {first.loading && first.value === undefined ? (
        <p class="empty">Loading subscriptions…</p>
      ) : rows.length === 0 && first.error === undefined ? (
        <p class="empty">No subscriptions yet. Create one to start receiving webhooks.</p>
      ) : (
        <ul class="cards">
          {rows.map(({ subscription, latest }) => (
            <li key={subscription.id} class="card">
              <h2 class="card-title">
                <a href={href.subscription(subscription.id)}>{subscription.name}</a>
              </h2>
              <dl class="facts">
                <dt>Endpoint</dt>
                <dd>
                  <code class="url">{subscription.url}</code>
                </dd>
                <dt>Events</dt>
                <dd>{subscription.events.join(', ')}</dd>
                <dt>Status</dt>
                <dd>
                  <Badge tone={subscription.status}>{statusLabel[subscription.status]}</Badge>
                  {subscription.disabled_reason ? (
                    <span class="hint"> {subscription.disabled_reason}</span>
                  ) : null}
                </dd>
                <dt>Last delivery</dt>
                <dd>
                  <LatestOutcome latest={latest} />
                </dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
      {more.cursor !== null ? (
        <ActionButton
          busyLabel="Loading…"
          onClick={async () => {
            const { data } = await session.call<Page<Subscription>>(
              'GET',
              `/v1/webhooks?limit=20&cursor=${encodeURIComponent(more.cursor ?? '')}`,
            );
            const added = await withLatest(session, data.data);
            setMore((before) => ({ rows: [...before.rows, ...added], cursor: data.next_cursor }));
          }}
        >
          Show more subscriptions
        </ActionButton>
      ) : null}
    </>
  );
}
