import { describe, expect, it } from 'vitest';
import {
  deliveriesPath,
  noDeliveriesWords,
  openingList,
  withFilter,
  withMoreShown,
  withWindow,
} from '../../../portal/src/pages/subscription/model.ts';

const id = 'sub_01jdw3k5v8q2m4n6p8r0s2t4v6';
const copenhagen = () => 60;
const morning = { from: '2026-12-07T08:00', to: '2026-12-07T12:00' };

describe('a subscription’s deliveries in a time window', () => {
  it('asks for the deliveries of the window’s events, with the status filter, from the first 20 again', () => {
    const list = withWindow(withMoreShown(withFilter('failed')), morning);
    expect(list).toEqual({ filter: 'failed', shown: 20, window: morning });
    const query = new URLSearchParams(deliveriesPath(id, list, copenhagen).split('?')[1]);
    expect(Object.fromEntries(query)).toEqual({
      limit: '20',
      status: 'failed',
      since: '2026-12-07T08:00:00+01:00',
      until: '2026-12-07T12:00:00+01:00',
    });
  });

  it('keeps the window when the status filter changes, and leaves out an open end', () => {
    const list = withFilter('', { from: '', to: '2026-12-07T12:00' });
    expect(deliveriesPath(id, list, copenhagen)).toBe(
      `/v1/webhooks/${id}/deliveries?limit=20&until=2026-12-07T12%3A00%3A00%2B01%3A00`,
    );
  });

  it('says why the list is empty: nothing yet, nothing of the status, nothing in the window', () => {
    expect(noDeliveriesWords(openingList)).toBe('No deliveries yet. Send a test event to see one here.');
    expect(noDeliveriesWords(withFilter('failed'))).toBe('No failed deliveries.');
    expect(noDeliveriesWords(withWindow(openingList, morning))).toBe('No deliveries in this time window.');
    expect(noDeliveriesWords(withFilter('pending', morning))).toBe(
      'No pending deliveries in this time window.',
    );
  });
});
