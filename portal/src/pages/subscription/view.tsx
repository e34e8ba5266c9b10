import { useEffect, useId, useState } from 'preact/hooks';
import { type Delivery, messageOf, type SentRequest, type Subscription } from '../../api.ts';
import { AttemptsChart, attemptsByHour } from '../../components/attempts-chart.tsx';
import { SecretPanel } from '../../components/secret.tsx';
import {
  ActionButton,
  Badge,
  NoticeBar,
  PageHeading,
  useInterval,
  useLoaded,
  useNotice,
} from '../../components/ui.tsx';
import {
  formatDateTime,
  orderingLabel,
  payloadFormatLabel,
  platformSentence,
  statusLabel,
} from '../../format.ts';
import { navigate } from '../../router.ts';
import { href } from '../../routes.ts';
import type { Session } from '../../session.ts';
import { DeliveryList, RecoverForm } from './deliveries.tsx';
import { DeleteDialog, RotateDialog } from './dialogs.tsx';
import {
  actionsFor,
  compatibleWords,
  type DeliveryListState,
  deliveriesPath,
  endpointWords,
  fingerprintOf,
  jwtKeyWords,
  offersMore,
  openingList,
  type Recovery,
  rateLimitWords,
  readSubscription,
  recentDeliveries,
  recoveryNotice,
  type StatusChange,
  secretWords,
  subscriptionProblemOf,
  withFilter,
  withMoreShown,
  withOpenedFirst,
  withWindow,
} from './model.ts';

/**
 * The facts of a subscription, as a description list: what it is, then how its endpoint fares as the platform
 * sees it (its circuit, its lane, a wait it asked for), which the platform keeps and nobody edits.
 */
function Details({ subscription }: { subscription: Subscription }) {
  const endpoint = endpointWords(subscription, formatDateTime);
  const compatible = compatibleWords(subscription);
  return (
    <dl class="facts">
      <dt>Id</dt>
      <dd>
        <code>{subscription.id}</code>
      </dd>
      <dt>Endpoint</dt>
      <dd>
        <code class="url">{subscription.url}</code>
      </dd>
      <dt>Events</dt>
      <dd>{subscription.events.join(', ')}</dd>
      {subscription.description ? (
        <>
          <dt>Description</dt>
          <dd>{subscription.description}</dd>
        </>
      ) : null}
      <dt>Content filter</dt>
      <dd>{subscription.filter === null ? 'None' : <code>{JSON.stringify(subscription.filter)}</code>}</dd>
      <dt>Format</dt>
      <dd>{payloadFormatLabel[subscription.format]}</dd>
      {subscription.format === 'jwt' ? (
        <>
          <dt>JWT key</dt>
          <dd>{jwtKeyWords}</dd>
        </>
      ) : null}
      {compatible === undefined ? null : (
        <>
          <dt>Compatible id</dt>
          <dd>
            {compatible.id} (
            {compatible.path === undefined ? compatible.unlisted : <code>{compatible.path}</code>})
          </dd>
        </>
      )}
      {Object.keys(subscription.headers).length > 0 ? (
        <>
          <dt>Custom headers</dt>
          <dd>{Object.keys(subscription.headers).join(', ')}</dd>
        </>
      ) : null}
      <dt>Order</dt>
      <dd>{orderingLabel[subscription.ordering]}</dd>
      <dt>Rate limit</dt>
      <dd>{rateLimitWords(subscription.rate_limit)}</dd>
      <dt>Circuit</dt>
      <dd>{endpoint.circuit}</dd>
      <dt>Delivery lane</dt>
      <dd>{endpoint.lane}</dd>
      {endpoint.backOff !== undefined ? (
        <>
          <dt>Waiting</dt>
          <dd>{endpoint.backOff}</dd>
        </>
      ) : null}
      {subscription.previous_secret_expires_at ? (
        <>
          <dt>Previous secret</dt>
          <dd>Still signs until {formatDateTime(subscription.previous_secret_expires_at)}</dd>
        </>
      ) : null}
      <dt>Created</dt>
      <dd>{formatDateTime(subscription.created_at)}</dd>
    </dl>
  );
}

/**
 * One subscription: what it is, what can be done with it (test, pause, resume or re-enable, edit, rotate,
 * delete), the last 24 hours of attempts, its deliveries with their attempts (retry one), and recovery of
 * failures since a time. It refreshes itself every few seconds while the tab is visible.
 */
export function SubscriptionPage({
  id,
  delivery: openedId,
  session,
}: {
  id: string;
  /** A delivery to show first, its attempts open (a link from an event's page). */
  delivery?: string | undefined;
  session: Session;
}) {
  const ids = useId();
  const [secret, setSecret] = useState(() => session.takeSecret(id));
  const [list, setList] = useState<DeliveryListState>(openingList);
  const [dialog, setDialog] = useState<'delete' | 'rotate' | undefined>();

  const subscription = useLoaded(
    () => readSubscription(() => session.call<Subscription>('GET', `/v1/webhooks/${id}`), id),
    [id],
  );
  const current = subscription.value?.answer?.data;
  // Its deliveries, the chart's and the opened one are read once the subscription is there: none for one that
  // is not (a wrong or stale address).
  const found = current !== undefined;
  // A notice carried from the edit form ("Saved") waits for the page, whose notice bar it goes in.
  const [notice, setNotice] = useNotice(session, found);
  const deliveries = useLoaded(
    async () => (found ? session.readPage<Delivery>(deliveriesPath(id, list)) : undefined),
    [id, found, list.filter, list.shown, list.window],
  );
  const opened = useLoaded(async () => {
    if (openedId === undefined || !found) return undefined;
    const { data } = await session.call<Delivery>('GET', `/v1/deliveries/${openedId}`);
    // An address that pairs a delivery with another subscription shows this subscription's list alone.
    return data.webhook_id === id ? data : undefined;
  }, [id, openedId, found]);
  // Once read (after the subscription, whose heading took the focus as the page opened), the opened delivery is
  // scrolled to and its head takes the focus, so that a keyboard or screen reader user is where the page shows.
  useEffect(() => {
    if (opened.value === undefined) return;
    const card = document.querySelector(`li.delivery[data-delivery-id="${opened.value.id}"]`);
    card?.scrollIntoView();
    card?.querySelector<HTMLElement>('.delivery-head')?.focus({ preventScroll: true });
  }, [opened.value?.id]);
  const chart = useLoaded(
    async () => (found ? recentDeliveries(id, session.readPage<Delivery>) : undefined),
    [id, found],
  );
  const refresh = async () => {
    await Promise.all([subscription.reload(), deliveries.reload()]);
  };
  // Not for a subscription the API said is not there (it is read again only if the page is opened again).
  useInterval(() => {
    if (subscription.value?.problem === undefined) void refresh();
  }, 3000);

  // The chart follows the log: counted again whenever a delivery's attempts change.
  const fingerprint = fingerprintOf(deliveries.value?.data ?? []);
  useEffect(() => {
    void chart.reload();
  }, [fingerprint]);

  if (current === undefined) {
    const problem = subscriptionProblemOf(subscription.value, subscription.error);
    const title = problem?.title ?? 'Subscription';
    return (
      <>
        <PageHeading title={title}>{title}</PageHeading>
        {problem === undefined ? (
          <p class="empty">Loading…</p>
        ) : (
          <>
            <p role="alert">{problem.text}</p>
            <a href={href.list}>Back to subscriptions</a>
          </>
        )}
      </>
    );
  }

  /** Runs an action, shows the page as it left it, then says what happened (or why it did not). */
  const act = async (action: () => Promise<string>) => {
    let outcome: { tone: 'success' | 'error'; text: string };
    try {
      outcome = { tone: 'success', text: await action() };
    } catch (error) {
      outcome = { tone: 'error', text: messageOf(error) };
    }
    await refresh();
    setNotice(outcome);
  };
  const changeStatus = (change: StatusChange) =>
    act(async () => {
      await session.call('PATCH', `/v1/webhooks/${id}`, { status: change.to });
      return change.done;
    });
  const { canDeliver, toggle, reenable } = actionsFor(current.status);
  const { held } = endpointWords(current, formatDateTime);

  return (
    <>
      <div class="page-head">
        <PageHeading title={current.name}>{current.name}</PageHeading>
        <Badge tone={current.status}>{statusLabel[current.status]}</Badge>
      </div>
      <NoticeBar notice={notice} />
      {secret !== undefined ? (
        <SecretPanel
          key={secret.secret}
          secret={secret.secret}
          {...secretWords(secret.kind, current.format)}
          onDone={() => setSecret(undefined)}
        />
      ) : null}
      {reenable !== undefined ? (
        <div class="panel panel-warning">
          <h2>Deliveries are stopped</h2>
          <p>
            The platform disabled this subscription
            {current.disabled_reason ? `: ${platformSentence(current.disabled_reason)}` : '.'} Fix the
            endpoint, then re-enable it.
          </p>
          <ActionButton
            variant="primary"
            busyLabel={reenable.busyLabel}
            onClick={() => changeStatus(reenable)}
          >
            {reenable.label}
          </ActionButton>
        </div>
      ) : null}
      {held !== undefined ? (
        <div class="panel panel-held">
          <h2>{held.title}</h2>
          <p>{held.text}</p>
        </div>
      ) : null}

      <section aria-labelledby={`${ids}-details`}>
        <h2 id={`${ids}-details`} class="visually-hidden">
          Details
        </h2>
        <Details subscription={current} />
      </section>

      <section aria-labelledby={`${ids}-actions`}>
        <h2 id={`${ids}-actions`}>Actions</h2>
        <div class="actions">
          <ActionButton
            variant="primary"
            disabled={!canDeliver}
            busyLabel="Sending…"
            onClick={() =>
              act(async () => {
                await session.call('POST', `/v1/webhooks/${id}/test`);
                return 'Test event sent: its delivery shows below in a moment.';
              })
            }
          >
            Send test event
          </ActionButton>
          {toggle !== undefined ? (
            // One button that turns from Pause into Resume and back, so that it keeps the focus.
            <ActionButton busyLabel={toggle.busyLabel} onClick={() => changeStatus(toggle)}>
              {toggle.label}
            </ActionButton>
          ) : null}
          <a class="button button-secondary" href={href.edit(id)}>
            Edit
          </a>
          <button type="button" class="button button-secondary" onClick={() => setDialog('rotate')}>
            Rotate secret
          </button>
          <button type="button" class="button button-danger" onClick={() => setDialog('delete')}>
            Delete
          </button>
        </div>
        {!canDeliver ? (
          <p class="hint">Events, tests, retries and recovery need an active subscription.</p>
        ) : null}
      </section>

      <section aria-labelledby={`${ids}-chart`}>
        <h2 id={`${ids}-chart`}>Last 24 hours</h2>
        {chart.value === undefined ? (
          <p class="empty">{chart.error ?? 'Counting attempts…'}</p>
        ) : (
          <AttemptsChart
            byHour={attemptsByHour(chart.value.deliveries, new Date())}
            partial={chart.value.partial}
          />
        )}
      </section>

      <section aria-labelledby={`${ids}-deliveries`}>
        <h2 id={`${ids}-deliveries`}>Deliveries</h2>
        {deliveries.error ? <p role="alert">{deliveries.error}</p> : null}
        <DeliveryList
          deliveries={withOpenedFirst(deliveries.value?.data ?? [], opened.value)}
          opened={openedId}
          filter={list.filter}
          onFilter={(next) => setList(withFilter(next, list.window))}
          timeWindow={list.window}
          onTimeWindow={(next) => setList(withWindow(list, next))}
          hasMore={offersMore(list, deliveries.value)}
          onMore={async () => setList(withMoreShown)}
          canRetry={canDeliver}
          loading={deliveries.loading}
          readRequest={async (deliveryId) =>
            (await session.call<{ request: SentRequest | null }>('GET', `/v1/deliveries/${deliveryId}`)).data
              .request
          }
          onRetry={(delivery) =>
            act(async () => {
              await session.call('POST', `/v1/deliveries/${delivery.id}/retry`);
              return `Retry queued for the ${delivery.event_type} delivery.`;
            })
          }
        />
      </section>

      <section aria-labelledby={`${ids}-recover`}>
        <h2 id={`${ids}-recover`}>Recover failed deliveries</h2>
        <RecoverForm
          disabled={!canDeliver}
          onRecover={async (since) => {
            const { data } = await session.call<Recovery>('POST', `/v1/webhooks/${id}/recover`, {
              since: since.toISOString(),
            });
            await refresh();
            return recoveryNotice(data);
          }}
        />
      </section>

      <RotateDialog
        open={dialog === 'rotate'}
        id={id}
        session={session}
        refresh={refresh}
        onClose={(rotation) => {
          setDialog(undefined);
          if (rotation?.secret !== undefined) setSecret(rotation.secret);
          if (rotation !== undefined) setNotice(rotation.notice);
        }}
      />
      <DeleteDialog
        open={dialog === 'delete'}
        subscription={current}
        onClose={() => setDialog(undefined)}
        onConfirm={async () => {
          try {
            await session.call('DELETE', `/v1/webhooks/${id}`);
          } catch (error) {
            setNotice({ tone: 'error', text: messageOf(error) });
            return;
          }
          session.carryNotice({ tone: 'success', text: `Deleted ${current.name}.` });
          navigate(href.list);
        }}
      />
    </>
  );
}
