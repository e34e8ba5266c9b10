import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { type Answer, type Delivery, messageOf, type Page, type Subscription } from '../api.ts';
import { AttemptsChart, attemptsByHour } from '../components/attempts-chart.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { type DeliveryFilter, DeliveryList, RecoverForm } from '../components/deliveries.tsx';
import { SecretPanel } from '../components/secret.tsx';
import {
  ActionButton,
  Badge,
  NoticeBar,
  PageHeading,
  useInterval,
  useLoaded,
  useNotice,
} from '../components/ui.tsx';
import { formatDateTime, statusLabel } from '../format.ts';
import { href, navigate } from '../router.ts';
import type { Notice, Session } from '../session.ts';

/** The deliveries the chart counts: those of the last two days (retries span about a day), at most 500. */
async function recentDeliveries(
  session: Session,
  id: string,
): Promise<{ deliveries: Delivery[]; partial: boolean }> {
  const since = Date.now() - 2 * 86_400_000;
  const deliveries: Delivery[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 5; page++) {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const answer: Answer<Page<Delivery>> = await session.call<Page<Delivery>>(
      'GET',
      `/v1/webhooks/${id}/deliveries?limit=100${query}`,
    );
    deliveries.push(...answer.data.data);
    cursor = answer.data.next_cursor;
    const oldest = answer.data.data.at(-1);
    if (cursor === null || oldest === undefined || Date.parse(oldest.created_at) < since) {
      return { deliveries, partial: false };
    }
  }
  return { deliveries, partial: true };
}

const overlapChoices = [
  { seconds: 86_400, label: '24 hours (recommended)' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 0, label: 'No overlap: the old secret stops at once' },
] as const;

/**
 * One subscription: what it is, what can be done with it (test, pause, resume or re-enable, edit, rotate,
 * delete), the last 24 hours of attempts, its deliveries with their attempts (retry one), and recovery of
 * failures since a time. It refreshes itself every few seconds while the tab is visible.
 */
export function SubscriptionPage({ id, session }: { id: string; session: Session }) {
  const dialogIds = useId();
  const [secret, setSecret] = useState(() => session.takeSecret(id));
  const [filter, setFilter] = useState<DeliveryFilter>('');
  const [shown, setShown] = useState(20);
  const [dialog, setDialog] = useState<'delete' | 'rotate' | undefined>();
  const [overlap, setOverlap] = useState<number>(86_400);
  // What the rotation did, shown once its dialog has closed: while a modal dialog is open the rest of the
  // page is inert, so the new secret's panel could not take the focus, nor a notice be read out.
  const rotated = useRef<{ secret?: string; notice: Notice } | undefined>(undefined);

  const subscription = useLoaded(() => session.call<Subscription>('GET', `/v1/webhooks/${id}`), [id]);
  // A notice carried from the edit form ("Saved") waits for the page, whose notice bar it goes in.
  const [notice, setNotice] = useNotice(session, subscription.value !== undefined);
  const deliveries = useLoaded(
    async () =>
      (
        await session.call<Page<Delivery>>(
          'GET',
          `/v1/webhooks/${id}/deliveries?limit=${Math.min(shown, 100)}${filter === '' ? '' : `&status=${filter}`}`,
        )
      ).data,
    [id, filter, shown],
  );
  const chart = useLoaded(() => recentDeliveries(session, id), [id]);
  const refresh = async () => {
    await Promise.all([subscription.reload(), deliveries.reload()]);
  };
  useInterval(() => void refresh(), 3000);

  // The chart follows the log: counted again whenever a delivery's attempts change.
  const fingerprint = (deliveries.value?.data ?? [])
    .map((d) => `${d.id}:${d.attempt_count}:${d.status}`)
    .join();
  useEffect(() => {
    void chart.reload();
  }, [fingerprint]);

  const current = subscription.value?.data;
  if (current === undefined) {
    const title = subscription.error === undefined ? 'Subscription' : 'Subscription not found';
    return (
      <>
        <PageHeading title={title}>{title}</PageHeading>
        {subscription.error === undefined ? (
          <p class="empty">Loading…</p>
        ) : (
          <>
            <p role="alert">{subscription.error}</p>
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
  const setStatus = (status: 'active' | 'paused', done: string) =>
    act(async () => {
      await session.call('PATCH', `/v1/webhooks/${id}`, { status });
      return done;
    });
  const active = current.status === 'active';

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
          title={
            secret.kind === 'created' ? 'Subscription created: its signing secret' : 'The new signing secret'
          }
          note={
            secret.kind === 'created'
              ? 'Copy it now: it is shown only this once. Your endpoint verifies each webhook’s signature with it.'
              : 'Copy it now: it is shown only this once. Until the overlap ends, webhooks carry signatures with both the old and the new secret.'
          }
          onDone={() => setSecret(undefined)}
        />
      ) : null}
      {current.status === 'disabled' ? (
        <div class="panel panel-warning">
          <h2>Deliveries are stopped</h2>
          <p>
            The platform disabled this subscription
            {current.disabled_reason ? `: ${current.disabled_reason}` : '.'} Fix the endpoint, then re-enable
            it.
          </p>
          <ActionButton
            variant="primary"
            busyLabel="Re-enabling…"
            onClick={() => setStatus('active', 'Re-enabled: deliveries resume.')}
          >
            Re-enable
          </ActionButton>
        </div>
      ) : null}

      <section aria-labelledby={`${dialogIds}-details`}>
        <h2 id={`${dialogIds}-details`} class="visually-hidden">
          Details
        </h2>
        <dl class="facts">
          <dt>Endpoint</dt>
          <dd>
            <code class="url">{current.url}</code>
          </dd>
          <dt>Events</dt>
          <dd>{current.events.join(', ')}</dd>
          {current.description ? (
            <>
              <dt>Description</dt>
              <dd>{current.description}</dd>
            </>
          ) : null}
          <dt>Content filter</dt>
          <dd>{current.filter === null ? 'None' : <code>{JSON.stringify(current.filter)}</code>}</dd>
          <dt>Format</dt>
          <dd>{current.format === 'json' ? 'JSON' : 'XML'}</dd>
          {Object.keys(current.headers).length > 0 ? (
            <>
              <dt>Custom headers</dt>
              <dd>{Object.keys(current.headers).join(', ')}</dd>
            </>
          ) : null}
          {current.previous_secret_expires_at ? (
            <>
              <dt>Previous secret</dt>
              <dd>Still signs until {formatDateTime(current.previous_secret_expires_at)}</dd>
            </>
          ) : null}
          <dt>Created</dt>
          <dd>{formatDateTime(current.created_at)}</dd>
        </dl>
      </section>

      <section aria-labelledby={`${dialogIds}-actions`}>
        <h2 id={`${dialogIds}-actions`}>Actions</h2>
        <div class="actions">
          <ActionButton
            variant="primary"
            disabled={!active}
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
          {current.status === 'active' ? (
            <ActionButton
              busyLabel="Pausing…"
              onClick={() => setStatus('paused', 'Paused: no webhooks are sent until you resume.')}
            >
              Pause
            </ActionButton>
          ) : current.status === 'paused' ? (
            <ActionButton
              busyLabel="Resuming…"
              onClick={() => setStatus('active', 'Resumed: new events are delivered again.')}
            >
              Resume
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
        {!active ? (
          <p class="hint">Events, tests, retries and recovery need an active subscription.</p>
        ) : null}
      </section>

      <section aria-labelledby={`${dialogIds}-chart`}>
        <h2 id={`${dialogIds}-chart`}>Last 24 hours</h2>
        {chart.value === undefined ? (
          <p class="empty">{chart.error ?? 'Counting attempts…'}</p>
        ) : (
          <AttemptsChart
            byHour={attemptsByHour(chart.value.deliveries, new Date())}
            partial={chart.value.partial}
          />
        )}
      </section>

      <section aria-labelledby={`${dialogIds}-deliveries`}>
        <h2 id={`${dialogIds}-deliveries`}>Deliveries</h2>
        {deliveries.error ? <p role="alert">{deliveries.error}</p> : null}
        <DeliveryList
          deliveries={deliveries.value?.data ?? []}
          filter={filter}
          onFilter={(next) => {
            setFilter(next);
            setShown(20);
          }}
          hasMore={deliveries.value?.next_cursor != null && shown < 100}
          onMore={async () => setShown((before) => Math.min(before + 20, 100))}
          canRetry={active}
          loading={deliveries.loading}
          onRetry={(delivery) =>
            act(async () => {
              await session.call('POST', `/v1/deliveries/${delivery.id}/retry`);
              return `Retry queued for the ${delivery.event_type} delivery.`;
            })
          }
        />
      </section>

      <section aria-labelledby={`${dialogIds}-recover`}>
        <h2 id={`${dialogIds}-recover`}>Recover failed deliveries</h2>
        <RecoverForm
          disabled={!active}
          onRecover={async (since) => {
            const { data } = await session.call<{
              recovered: number;
              expired: number;
              next_since: string | null;
            }>('POST', `/v1/webhooks/${id}/recover`, { since: since.toISOString() });
            await refresh();
            const parts = [
              `${data.recovered} failed deliver${data.recovered === 1 ? 'y' : 'ies'} queued for one more attempt.`,
              data.expired > 0 ? `${data.expired} could not be: their events are no longer kept.` : '',
              data.next_since ? 'More remain: recover again to continue.' : '',
            ];
            return { tone: 'success', text: parts.filter(Boolean).join(' ') };
          }}
        />
      </section>

      <ConfirmDialog
        open={dialog === 'rotate'}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
        busyLabel="Rotating…"
        onClose={() => {
          setDialog(undefined);
          const outcome = rotated.current;
          rotated.current = undefined;
          if (outcome?.secret !== undefined) setSecret({ id, secret: outcome.secret, kind: 'rotated' });
          if (outcome !== undefined) setNotice(outcome.notice);
        }}
        onConfirm={async () => {
          try {
            const { data } = await session.call<{ secret: string }>(
              'POST',
              `/v1/webhooks/${id}/rotate-secret`,
              {
                previous_secret_expires_in: overlap,
              },
            );
            rotated.current = { secret: data.secret, notice: { tone: 'success', text: 'Secret rotated.' } };
          } catch (error) {
            rotated.current = { notice: { tone: 'error', text: messageOf(error) } };
          }
          await refresh();
        }}
      >
        <p>
          A new secret signs every webhook from now on. Keep the old one working beside it while you switch
          over:
        </p>
        <label for={`${dialogIds}-overlap`}>Old secret keeps working for</label>
        <select
          id={`${dialogIds}-overlap`}
          value={String(overlap)}
          onChange={(event) => setOverlap(Number(event.currentTarget.value))}
        >
          {overlapChoices.map((choice) => (
            <option key={choice.seconds} value={String(choice.seconds)}>
              {choice.label}
            </option>
          ))}
        </select>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'delete'}
        title={`Delete ${current.name}?`}
        confirmLabel="Delete subscription"
        busyLabel="Deleting…"
        danger
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
      >
        <p>
          No more webhooks go to <code class="url">{current.url}</code>, and deliveries still waiting are
          dropped. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
