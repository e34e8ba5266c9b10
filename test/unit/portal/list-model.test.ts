import { describe, expect, it } from 'vitest';
import type { Delivery, Page } from '../../../portal/src/api.ts';
import {
  afterFirstPage,
  latestOutcome,
  listShows,
  refreshes,
  shortId,
  subscriptionsPath,
  withLatest,
  withMoreRows,
} from '../../../portal/src/pages/list/model.ts';
import { attemptView, deliveryView, subscriptionView } from '../../support/portal-views.ts';

const orders = subscriptionView({ id: 'sub_01jdw3k5v8q2m4n6p8r0s2t4v6', name: 'Orders' });
const shipments = subscriptionView({ id: 'sub_01jdw3k5v8q2m4n6p8r0s2t4v7', name: 'Shipments' });

describe('the subscription list’s model', () => {
  it('tells apart two subscriptions of the same name by the ends of their ids', () => {
    expect(shortId(orders.id)).toBe('…s2t4v6');
    expect(shortId(shipments.id)).toBe('…s2t4v7');
    expect(shortId('sub_123')).toBe('sub_123');
  });

  it('asks for 20 subscriptions, then for those after the cursor, encoded', () => {
    expect(subscriptionsPath()).toBe('/v1/webhooks?limit=20');
    expect(subscriptionsPath('a+b/c=')).toBe('/v1/webhooks?limit=20&cursor=a%2Bb%2Fc%3D');
  });

  it('pairs each subscription with its latest delivery, none when it has none yet', async () => {
    const latest = deliveryView({ webhook_id: orders.id });
    const asked: string[] = [];
    const read = async (path: string): Promise<Page<Delivery>> => {
      asked.push(path);
      return { data: path.includes(orders.id) ? [latest] : [], next_cursor: null };
    };

    const rows = await withLatest([orders, shipments], read);

    expect(rows).toEqual([
      { subscription: orders, latest },
      { subscription: shipments, latest: undefined },
    ]);
    expect(asked).toEqual([
      `/v1/webhooks/${orders.id}/deliveries?limit=1`,
      `/v1/webhooks/${shipments.id}/deliveries?limit=1`,
    ]);
  });

  it('still lists a subscription whose deliveries cannot be read, saying so', async () => {
    const read = async (path: string): Promise<Page<Delivery>> => {
      if (path.includes(shipments.id)) throw new Error('The API answered 500');
      return { data: [], next_cursor: null };
    };

    const rows = await withLatest([orders, shipments], read);

    expect(rows.map((row) => row.latest)).toEqual([undefined, null]);
    expect(latestOutcome(null)).toEqual({ kind: 'hint', text: 'Could not be read' });
    expect(latestOutcome(undefined)).toEqual({ kind: 'hint', text: 'No deliveries yet' });
  });

  it('says how the latest delivery went: its status, its latest attempt’s result and how long ago', () => {
    const failed = deliveryView({
      status: 'failed',
      attempt_count: 2,
      attempts: [
        attemptView({ at: '2026-11-27T10:00:00.000Z' }),
        attemptView({ at: '2026-11-27T10:05:00.000Z', status_code: 500 }),
      ],
    });

    expect(latestOutcome(failed, Date.parse('2026-11-27T10:07:00.000Z'))).toEqual({
      kind: 'delivery',
      status: 'failed',
      label: 'Failed',
      text: 'HTTP 500, 2 minutes ago',
    });
  });

  it('names the event type of a delivery not attempted yet, and says so', () => {
    const pending = deliveryView({ status: 'pending', attempt_count: 0, attempts: [] });

    expect(latestOutcome(pending)).toMatchObject({
      label: 'Pending',
      text: 'order.created, not attempted yet',
    });
  });

  it('adds each further page below the ones shown, and stops refreshing once there are any', () => {
    const first = afterFirstPage({ data: [orders], next_cursor: 'c1' });

    const more = withMoreRows(first, [{ subscription: shipments, latest: undefined }], null);

    expect(first).toEqual({ rows: [], cursor: 'c1' });
    expect(refreshes(first)).toBe(true);
    expect(more).toEqual({ rows: [{ subscription: shipments, latest: undefined }], cursor: null });
    expect(refreshes(more)).toBe(false);
  });

  it('shows loading only until the first page came, then the cards, or a line when there are none', () => {
    expect(listShows({ loading: true, loaded: false, error: undefined, rows: 0 })).toBe('loading');
    expect(listShows({ loading: true, loaded: true, error: undefined, rows: 1 })).toBe('cards');
    expect(listShows({ loading: false, loaded: true, error: undefined, rows: 0 })).toBe('none');
    // A failed load leaves the error in the notice bar and no "no subscriptions yet" line under it.
    expect(listShows({ loading: false, loaded: false, error: 'The API answered 500', rows: 0 })).toBe(
      'cards',
    );
  });
});
