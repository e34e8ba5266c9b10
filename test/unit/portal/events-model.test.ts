import { describe, expect, it } from 'vitest';
import { testEventType as platformTestEventType } from '../../../functions/core/platform.ts';
import type { EventSummary } from '../../../portal/src/api.ts';
import {
  emptyLogWords,
  eventsPath,
  eventTypeChoices,
  firstPage,
  isFiltered,
  noFilters,
  testEventType,
  withNextPage,
} from '../../../portal/src/pages/events/model.ts';

/** Copenhagen in winter and in summer (minutes east of UTC). */
const copenhagen = (value: string) => (value.slice(5, 7) >= '04' && value.slice(5, 7) <= '09' ? 120 : 60);

const event = (id: string, type = 'order.created'): EventSummary => ({
  id,
  event_type: type,
  resource_id: 'ord_1042',
  created_at: '2026-12-07T10:00:00.000Z',
  occurred_at: '2026-12-07T09:59:58.000Z',
});

describe('the events log’s model', () => {
  it('asks for the first page with only the filters that are set, then for the page at the cursor', () => {
    expect(eventsPath(noFilters)).toBe('/v1/events?limit=25');
    const filters = {
      eventType: 'order.created',
      resourceId: ' ord_1042 ',
      from: '2026-12-07T08:00',
      to: '2026-12-07T12:00',
    };
    const query = new URLSearchParams(eventsPath(filters, 'a+b/c=', copenhagen).split('?')[1]);
    expect(Object.fromEntries(query)).toEqual({
      limit: '25',
      event_type: 'order.created',
      resource_id: 'ord_1042',
      since: '2026-12-07T08:00:00+01:00',
      until: '2026-12-07T12:00:00+01:00',
      cursor: 'a+b/c=',
    });
    expect(eventsPath({ ...noFilters, from: '2026-12-07T08:00' }, null, copenhagen)).toBe(
      '/v1/events?limit=25&since=2026-12-07T08%3A00%3A00%2B01%3A00',
    );
  });

  it('keeps the events loaded so far and adds the next page below them', () => {
    const log = firstPage({ data: [event('evt_3'), event('evt_2')], next_cursor: 'c1' });
    const more = withNextPage(log, { data: [event('evt_1')], next_cursor: null });
    expect(more.events.map((shown) => shown.id)).toEqual(['evt_3', 'evt_2', 'evt_1']);
    expect(more.cursor).toBeNull();
    expect(log.events).toHaveLength(2);
  });

  it('words an empty log by whether it is filtered', () => {
    expect(isFiltered(noFilters)).toBe(false);
    expect(isFiltered({ ...noFilters, resourceId: '  ' })).toBe(false);
    expect(emptyLogWords(noFilters)).toMatch(/^No events yet\./);
    expect(emptyLogWords({ ...noFilters, eventType: 'order.created' })).toMatch(
      /^No events match these filters\./,
    );
    // An empty page with a cursor: older events remain, so "no match" would be untrue.
    expect(emptyLogWords({ ...noFilters, eventType: 'order.created' }, true)).toMatch(/Load more events/);
  });

  it('offers the catalog’s types in its order, then the test events, named as the platform names them', () => {
    const choices = eventTypeChoices([
      { type: 'order.created', description: 'An order was created' },
      { type: 'shipment.created', description: 'A shipment was created' },
    ]);
    expect(choices.map((choice) => choice.value)).toEqual([
      'order.created',
      'shipment.created',
      'webhook.test',
    ]);
    expect(testEventType).toBe(platformTestEventType);
  });
});
