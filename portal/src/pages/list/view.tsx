import { useState } from 'preact/hooks';
import type { Delivery, Page, Subscription } from '../../api.ts';
import { ShortId } from '../../components/short-id.tsx';
import {
  ActionButton,
  Badge,
  NoticeBar,
  PageHeading,
  useInterval,
  useLoaded,
  useNotice,
} from '../../components/ui.tsx';
import { platformSentence, statusLabel } from '../../format.ts';
import { href } from '../../routes.ts';
import type { Session } from '../../session.ts';
import {
  afterFirstPage,
  latestOutcome,
  listShows,
  type More,
  type Row,
  refreshes,
  subscriptionsPath,
  withLatest,
  withMoreRows,
} from './model.ts';

function LatestOutcome({ latest }: { latest: Row['latest'] }) {
  const outcome = latestOutcome(latest);
  if (outcome.kind === 'hint') return <span class="hint">{outcome.text}</span>;
  return (
    <span>
      <Badge tone={outcome.status}>{outcome.label}</Badge> {outcome.text}
    </span>
  );
}

/** The account's subscriptions, newest first, each with its status and how its latest delivery went. */
export function SubscriptionListPage({ session }: { session: Session }) {
  const [notice] = useNotice(session);
  const [more, setMore] = useState<More>({ rows: [], cursor: null });
  const first = useLoaded(async () => {
    const { data } = await session.call<Page<Subscription>>('GET', subscriptionsPath());
    setMore(afterFirstPage(data));
    return withLatest(data.data, session.readPage<Delivery>);
  }, []);
  // Keeps the outcomes current; not once more pages are shown (a refresh would drop them).
  useInterval(() => {
    if (refreshes(more)) void first.reload();
  }, 10_000);
  const rows = [...(first.value ?? []), ...more.rows];
  const shows = listShows({
    loading: first.loading,
    loaded: first.value !== undefined,
    error: first.error,
    rows: rows.length,
  });

  return (
    <>
      <div class="page-head">
        <PageHeading title="Subscriptions">Subscriptions</PageHeading>
        <a class="button button-primary" href={href.new}>
          New subscription
        </a>
      </div>
      <NoticeBar notice={notice ?? (first.error ? { tone: 'error', text: first.error } : undefined)} />
      {shows === 'loading' ? (
        <p class="empty">Loading subscriptions…</p>
      ) : shows === 'none' ? (
        <p class="empty">No subscriptions yet. Create one to start receiving webhooks.</p>
      ) : (
        <ul class="cards">
          {rows.map(({ subscription, latest }) => (
            <li key={subscription.id} class="card">
              <h2 class="card-title">
                <a href={href.subscription(subscription.id)}>{subscription.name}</a>
              </h2>
              <dl class="facts">
                <dt>Id</dt>
                <dd>
                  <ShortId id={subscription.id} />
                </dd>
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
                    <span class="hint"> {platformSentence(subscription.disabled_reason)}</span>
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
            const { data } = await session.call<Page<Subscription>>('GET', subscriptionsPath(more.cursor));
            const added = await withLatest(data.data, session.readPage<Delivery>);
            setMore((before) => withMoreRows(before, added, data.next_cursor));
          }}
        >
          Show more subscriptions
        </ActionButton>
      ) : null}
    </>
  );
}
