import { describe, expect, it } from 'vitest';
import { href, routeOf } from '../../../portal/src/routes.ts';

describe('the portal’s addresses', () => {
  it('reads each page’s address back from the link to it', () => {
    expect(routeOf(href.list)).toEqual({ page: 'list' });
    expect(routeOf(href.new)).toEqual({ page: 'new' });
    expect(routeOf(href.subscription('sub_1'))).toEqual({ page: 'subscription', id: 'sub_1' });
    expect(routeOf(href.edit('sub_1'))).toEqual({ page: 'edit', id: 'sub_1' });
    expect(routeOf(href.events)).toEqual({ page: 'events' });
    expect(routeOf(href.event('evt_1'))).toEqual({ page: 'event', id: 'evt_1' });
    expect(routeOf(href.delivery('sub_1', 'msg_1'))).toEqual({
      page: 'subscription',
      id: 'sub_1',
      delivery: 'msg_1',
    });
  });

  it('opens the list without an address, and no page for an address it does not know', () => {
    expect(routeOf('')).toEqual({ page: 'list' });
    expect(routeOf('#/events/evt_1/more')).toEqual({ page: 'unknown' });
    expect(routeOf('#/webhooks/sub_1/deliveries/')).toEqual({ page: 'unknown' });
  });
});
