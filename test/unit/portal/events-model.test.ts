import { describe, expect, it } from 'vitest';
import { testEventType as platformTestEventType } from '../../../functions/core/platform.ts';
import type { EventSummary } from '../../../portal/src/api.ts';
import {
  emptyLogWords,
  eventsPath,
  eventTypeChoices,
  filtersProblem,
  firstPage,
  isFiltered,
  isoOfLocal,
  noFilters,
  testEventType,
  withNextPage,
} from '../../../portal/src/pages/events/model.ts';

/** Copenhagen in winter and in summer (minutes east of UTC), and New York in winter. */
const copenhagen = (value: string) => (value.slice(5, 7) >= '04' && value.slice(5, 7) <= '09' ? 120 : 60);
const newYork = () => -300;
const india = () => 330;

const event = (id: string, type = 'order.created'): EventSummary => ({
  id,
  event_type: type,
  resource_id: 'ord_1042',
  created_at: '2026-12-07T10:00:00.000Z',
  occurred_at: '2026-12-07T09:59:58.000Z',
});

describe('the events log’s model', () => {
  it('writes a datetime-local value as an ISO time with the browser’s offset at that moment', () => {
    expect(isoOfLocal('2026-12-07T10:30', copenhagen)).toBe('2026-12-07T10:30:00+01:00');
    expect(isoOfLocal('2026-07-01T10:30', copenhagen)).toBe('2026-07-01T10:30:00+02:00');
    expect(isoOfLocal('2026-12-07T10:30:15', newYork)).toBe('2026-12-07T10:30:15-05:00');
    expect(isoOfLocal('2026-12-07T10:30:15.250', india)).toBe('2026-12-07T10:30:15.250+05:30');
    expect(Date.parse(isoOfLocal('2026-12-07T10:30', copenhagen) ?? '')).toBe(
      Date.parse('2026-12-07T09:30:00Z'),
    );
  });

  it('takes the browser’s own offset when none is given', () => {
    const iso = isoOfLocal('2026-12-07T10:30');
    expect(iso).toMatch(/^2026-12-07T10:30:00[+-]\d{2}:\d{2}$/);
    expect(Date.parse(iso ?? '')).toBe(new Date('2026-12-07T10:30').getTime());
  });

  it('is no time for an empty value, a day that does not exist, or an hour past 23', () => {
    expect(isoOfLocal('', copenhagen)).toBeUndefined();
    expect(isoOfLocal('2026-02-31T10:00', copenhagen)).toBeUndefined();
    expect(isoOfLocal('2026-12-07T25:00', copenhagen)).toBeUndefined();
    expect(isoOfLocal('yesterday', copenhagen)).toBeUndefined();
  });

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

  it('says what is wrong with a time window before asking the API', () => {
    expect(filtersProblem(noFilters, copenhagen)).toBeUndefined();
    expect(
      filtersProblem({ ...noFilters, from: '2026-12-07T08:00', to: '2026-12-07T12:00' }, copenhagen),
    ).toBe(undefined);
    expect(
      filtersProblem({ ...noFilters, from: '2026-12-07T12:00', to: '2026-12-07T12:00' }, copenhagen),
    ).toBe('The “From” time must be before the “To” time.');
    expect(filtersProblem({ ...noFilters, from: '2026-02-31T12:00' }, copenhagen)).toBe(
      'Give the “From” time as a date and a time.',
    );
    expect(filtersProblem({ ...noFilters, to: 'soon' }, copenhagen)).toBe(
      'Give the “To” time as a date and a time.',
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
