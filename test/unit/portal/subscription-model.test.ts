import { describe, expect, it } from 'vitest';
import { ApiError, type Delivery, type Page, type Subscription } from '../../../portal/src/api.ts';
import {
  actionsFor,
  compatibleWords,
  deliveriesPath,
  endpointWords,
  fingerprintOf,
  missingSubscription,
  offersMore,
  offersRetry,
  openingList,
  rateLimitWords,
  readSubscription,
  recentDeliveries,
  recoveryNotice,
  rotated,
  rotationFailed,
  secretWords,
  subscriptionProblemOf,
  withFilter,
  withMoreShown,
} from '../../../portal/src/pages/subscription/model.ts';
import { deliveryView, subscriptionView } from '../../support/portal-views.ts';

const id = 'sub_01jdw3k5v8q2m4n6p8r0s2t4v6';
const now = Date.parse('2026-11-27T12:00:00.000Z');

/** Pages of deliveries as the API answers them, one per cursor; keeps the addresses asked for. */
function pagesOf(pages: readonly Page<Delivery>[]) {
  const asked: string[] = [];
  const read = async (path: string): Promise<Page<Delivery>> => {
    asked.push(path);
    const cursor = new URL(path, 'http://portal').searchParams.get('cursor');
    const page = pages[cursor === null ? 0 : Number(cursor)];
    if (page === undefined) throw new Error(`no page at ${path}`);
    return page;
  };
  return { read, asked };
}

const createdHoursAgo = (hours: number) =>
  deliveryView({ created_at: new Date(now - hours * 3_600_000).toISOString() });

describe('the subscription page’s model', () => {
  it('lists the first 20 deliveries of every status as the page opens', () => {
    expect(deliveriesPath(id, openingList)).toBe(`/v1/webhooks/${id}/deliveries?limit=20`);
  });

  it('shows 20 more at a time, never more than the 100 of one page', () => {
    const shown = [withMoreShown(openingList)];
    for (let press = 0; press < 4; press++) shown.push(withMoreShown(shown.at(-1) ?? openingList));

    expect(shown.map((list) => list.shown)).toEqual([40, 60, 80, 100, 100]);
    expect(deliveriesPath(id, shown[4] ?? openingList)).toBe(`/v1/webhooks/${id}/deliveries?limit=100`);
  });

  it('starts from the first 20 again when filtered by a status, and asks the API for that status only', () => {
    const filtered = withFilter('failed');

    expect(filtered).toEqual({ filter: 'failed', shown: 20, window: { from: '', to: '' } });
    expect(deliveriesPath(id, filtered)).toBe(`/v1/webhooks/${id}/deliveries?limit=20&status=failed`);
    expect(deliveriesPath(id, withFilter('superseded'))).toBe(
      `/v1/webhooks/${id}/deliveries?limit=20&status=superseded`,
    );
    expect(withFilter('')).toEqual(openingList);
  });

  it('offers more only while the API has more and the list shows fewer than 100', () => {
    const more = { data: [], next_cursor: 'c' };
    const last = { data: [], next_cursor: null };

    expect(offersMore(openingList, more)).toBe(true);
    expect(offersMore(openingList, last)).toBe(false);
    expect(offersMore(openingList, undefined)).toBe(false);
    expect(offersMore({ ...openingList, shown: 100 }, more)).toBe(false);
  });

  it('counts the chart again only when a delivery’s attempts or status change', () => {
    const pending = deliveryView({ status: 'pending', attempt_count: 1 });

    const before = fingerprintOf([pending]);

    expect(fingerprintOf([{ ...pending }])).toBe(before);
    expect(fingerprintOf([{ ...pending, attempt_count: 2 }])).not.toBe(before);
    expect(fingerprintOf([{ ...pending, status: 'failed' }])).not.toBe(before);
    expect(fingerprintOf([pending, deliveryView({ id: 'msg_2' })])).not.toBe(before);
  });

  it('charts the deliveries of the last two days, reading pages until one goes back further', async () => {
    const api = pagesOf([
      { data: [createdHoursAgo(1), createdHoursAgo(30)], next_cursor: '1' },
      { data: [createdHoursAgo(40), createdHoursAgo(50)], next_cursor: '2' },
      { data: [createdHoursAgo(60)], next_cursor: null },
    ]);

    const chart = await recentDeliveries(id, api.read, now);

    expect(chart.deliveries).toHaveLength(4);
    expect(chart.partial).toBe(false);
    expect(api.asked).toEqual([
      `/v1/webhooks/${id}/deliveries?limit=100`,
      `/v1/webhooks/${id}/deliveries?limit=100&cursor=1`,
    ]);
  });

  it('stops at the last page, and says the chart is partial after 5 pages still within two days', async () => {
    const short = pagesOf([{ data: [createdHoursAgo(1)], next_cursor: null }]);
    const long = pagesOf(
      Array.from({ length: 6 }, (_, page) => ({
        data: [createdHoursAgo(page + 1)],
        next_cursor: String(page + 1),
      })),
    );

    const few = await recentDeliveries(id, short.read, now);
    const many = await recentDeliveries(id, long.read, now);

    expect(few).toEqual({ deliveries: [createdHoursAgo(1)], partial: false });
    expect(many.partial).toBe(true);
    expect(many.deliveries).toHaveLength(5);
    expect(long.asked).toHaveLength(5);
  });

  it('offers pause on an active subscription, resume on a paused one, re-enable on a disabled one', () => {
    const active = actionsFor('active');
    const paused = actionsFor('paused');
    const disabled = actionsFor('disabled');

    expect(active).toMatchObject({
      canDeliver: true,
      toggle: { to: 'paused', label: 'Pause' },
      reenable: undefined,
    });
    expect(paused).toMatchObject({
      canDeliver: false,
      toggle: { to: 'active', label: 'Resume' },
      reenable: undefined,
    });
    expect(disabled).toMatchObject({ canDeliver: false, toggle: undefined, reenable: { to: 'active' } });
    expect([active.toggle?.done, paused.toggle?.done, disabled.reenable?.done]).toEqual([
      'Paused: no webhooks are sent until you resume.',
      'Resumed: new events are delivered again.',
      'Re-enabled: deliveries resume.',
    ]);
  });

  it('says how many failed deliveries a recovery queued, how many it could not, and whether more remain', () => {
    expect(recoveryNotice({ recovered: 1, expired: 0, superseded: 0, next_since: null })).toEqual({
      tone: 'success',
      text: '1 failed delivery queued for one more attempt.',
    });
    expect(
      recoveryNotice({ recovered: 3, expired: 2, superseded: 0, next_since: '2026-11-27T10:00:00.000Z' }),
    ).toEqual({
      tone: 'success',
      text: '3 failed deliveries queued for one more attempt. 2 could not be: their events are no longer kept. More remain: recover again to continue.',
    });
    expect(recoveryNotice({ recovered: 0, expired: 0, superseded: 0, next_since: null }).text).toBe(
      '0 failed deliveries queued for one more attempt.',
    );
  });

  it('says how many deliveries of an ordered subscription a recovery left alone, since sending them would reorder', () => {
    expect(recoveryNotice({ recovered: 2, expired: 0, superseded: 1, next_since: null }).text).toBe(
      '2 failed deliveries queued for one more attempt. 1 was left as it is: a newer event of its resource was delivered since, and sending it now would put it out of order.',
    );
    expect(recoveryNotice({ recovered: 1, expired: 0, superseded: 3, next_since: null }).text).toBe(
      '1 failed delivery queued for one more attempt. 3 were left as they are: a newer event of their resource was delivered since, and sending them now would put them out of order.',
    );
  });

  it('shows a rotated secret once its dialog closes, or the API’s words when it refused', () => {
    expect(rotated(id, 'whsec_new')).toEqual({
      secret: { id, secret: 'whsec_new', kind: 'rotated' },
      notice: { tone: 'success', text: 'Secret rotated.' },
    });
    expect(rotationFailed('Too many secrets overlap.')).toEqual({
      notice: { tone: 'error', text: 'Too many secrets overlap.' },
    });
  });

  it('tells a created subscription’s secret from a rotated one’s', () => {
    expect(secretWords('created').title).toBe('Subscription created: its signing secret');
    expect(secretWords('rotated').title).toBe('The new signing secret');
    expect(secretWords('rotated').note).toContain('both the old and the new secret');
  });

  it('says a subscription’s rate limit, or that it has none', () => {
    expect(rateLimitWords(null)).toBe('No limit');
    expect(rateLimitWords(1)).toBe('At most 1 delivery a second; more wait their turn');
    expect(rateLimitWords(10_000)).toBe('At most 10000 deliveries a second; more wait their turn');
  });

  it('says a new subscription’s circuit is closed and it is in the main lane, with nothing held or waited for', () => {
    expect(endpointWords(subscriptionView(), (iso) => `<${iso}>`)).toEqual({
      circuit: 'Closed: deliveries are attempted as usual',
      held: undefined,
      lane: 'Main: the endpoint answers quickly',
      backOff: undefined,
    });
  });

  it('says since when an open circuit holds deliveries and when the next probe is, the slow lane since when, and a Retry-After', () => {
    const failing = subscriptionView({
      circuit: {
        state: 'open',
        opened_at: '2026-11-27T10:00:00.000Z',
        next_probe_at: '2026-11-27T10:00:05.000Z',
      },
      lane: 'slow',
      slow_since: '2026-11-27T09:00:00.000Z',
      back_off_until: '2026-11-27T10:10:00.000Z',
    });

    const words = endpointWords(failing, (iso) => `<${iso}>`);

    expect(words).toEqual({
      circuit:
        'Open since <2026-11-27T10:00:00.000Z>: deliveries are held. Next probe: <2026-11-27T10:00:05.000Z>',
      held: {
        title: 'Deliveries are held',
        text: 'The endpoint kept failing, so since <2026-11-27T10:00:00.000Z> its deliveries wait as pending: they are not attempted and use no attempt. One delivery at a time probes the endpoint, the next at <2026-11-27T10:00:05.000Z>; once one succeeds, the held deliveries go out, oldest first.',
      },
      lane: 'Slow since <2026-11-27T09:00:00.000Z>: the endpoint answers slowly, so its deliveries go in the slow lane, which waits longer for each answer (a slow answer is still a success)',
      backOff:
        'The endpoint asked to be left alone (Retry-After) until <2026-11-27T10:10:00.000Z>: its deliveries wait till then, using no attempt',
    });
  });
});

describe('offersRetry', () => {
  it('offers a retry of any delivery but a superseded one, which the API would refuse as reordering', () => {
    expect(
      (['pending', 'succeeded', 'failed', 'superseded'] as const).map((status) =>
        offersRetry(deliveryView({ status })),
      ),
    ).toEqual([true, true, true, false]);
  });
});

describe('the subscription page’s model: the JWT (Shipmondo) format', () => {
  it('shows no compatible id for a subscription that never had the jwt format', () => {
    expect(compatibleWords(subscriptionView())).toBeUndefined();
  });

  it('shows a listed jwt subscription’s compatible id with its address in the compatible API', () => {
    const listed = subscriptionView({ format: 'jwt', compatible_id: 42, events: ['order.created'] });

    expect(compatibleWords(listed)).toEqual({
      id: 42,
      path: '/api/public/v3/webhooks/42',
      unlisted: undefined,
    });
  });

  it('says why the compatible API does not list a subscription that has an id, rather than an address that is 404', () => {
    const wildcard = subscriptionView({ format: 'jwt', compatible_id: 42, events: ['order.*'] });
    const several = subscriptionView({
      format: 'jwt',
      compatible_id: 42,
      events: ['order.created', 'order.deleted'],
    });
    const json = subscriptionView({ format: 'json', compatible_id: 42 });

    expect(compatibleWords(wildcard)).toEqual({
      id: 42,
      path: undefined,
      unlisted:
        'not listed by the Shipmondo-compatible API while it has more than one event type or a wildcard',
    });
    expect(compatibleWords(several)?.unlisted).toBe(compatibleWords(wildcard)?.unlisted);
    expect(compatibleWords(json)).toEqual({
      id: 42,
      path: undefined,
      unlisted: 'not listed by the Shipmondo-compatible API while its format is not JWT',
    });
  });

  it('tells a created jwt subscription’s secret apart from its JWT key', () => {
    expect(secretWords('created', 'jwt').note).toContain('receivers written for Shipmondo verify its JWT');
    expect(secretWords('created', 'json').note).not.toContain('JWT');
    expect(secretWords('rotated', 'jwt')).toEqual(secretWords('rotated'));
  });
});

describe('a subscription the page cannot show', () => {
  it('is not found, in the portal’s words, when the API answers 404; any other failure is not called missing', () => {
    expect(missingSubscription(new ApiError(404, 'not-found', 'No webhook sub_gone'), 'sub_gone')).toEqual({
      title: 'Subscription not found',
      text: 'Your account has no subscription sub_gone: it was deleted, or the address is wrong.',
    });
    expect(missingSubscription(new ApiError(0, 'network', 'The API could not be reached.'), 'sub_gone')).toBe(
      undefined,
    );
    expect(missingSubscription(new ApiError(500, 'internal', 'Internal error'), 'sub_gone')).toBe(undefined);
  });

  it('is read once for its page and its form: the answer, what to say on a 404, or the other failure thrown', async () => {
    const answer = { data: { id: 'sub_1' } as Subscription, etag: '"1"' };
    const failing = (error: ApiError) => () => Promise.reject(error);

    expect(await readSubscription(async () => answer, 'sub_1')).toEqual({ answer });
    expect(await readSubscription(failing(new ApiError(404, 'not-found', 'No webhook')), 'sub_gone')).toEqual(
      {
        problem: missingSubscription(new ApiError(404, 'not-found', 'No webhook'), 'sub_gone'),
      },
    );
    await expect(
      readSubscription(failing(new ApiError(500, 'internal', 'Internal error')), 'sub_1'),
    ).rejects.toThrow('Internal error');
  });

  it('says a 404 in the portal’s words and any other failure in its own, and nothing while read or when there', () => {
    const missing = missingSubscription(new ApiError(404, 'not-found', 'No webhook'), 'sub_gone');
    if (missing === undefined) throw new Error('a 404 is missing');

    expect(subscriptionProblemOf({ problem: missing }, undefined)).toBe(missing);
    expect(subscriptionProblemOf(undefined, 'The API could not be reached.')).toEqual({
      title: 'The subscription could not be read',
      text: 'The API could not be reached.',
    });
    expect(subscriptionProblemOf(undefined, undefined)).toBe(undefined);
    expect(
      subscriptionProblemOf(
        { answer: { data: { id: 'sub_1' } as Subscription, etag: undefined } },
        undefined,
      ),
    ).toBe(undefined);
  });
});
