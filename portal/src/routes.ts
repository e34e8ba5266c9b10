/**
 * The portal's addresses (`#/...`): reading one and writing links. Plain code without preact, so that models and
 * their unit tests (type-checked with the Node.js project, which has no DOM types) can use it.
 */
/** The portal's pages, as `#/...` addresses (the page itself is always /portal/). */
export type Route =
  | { readonly page: 'list' }
  | { readonly page: 'new' }
  /** A subscription's page; `delivery`: one of its deliveries to show first (a link from an event's page). */
  | { readonly page: 'subscription'; readonly id: string; readonly delivery?: string }
  | { readonly page: 'edit'; readonly id: string }
  | { readonly page: 'events' }
  | { readonly page: 'event'; readonly id: string }
  | { readonly page: 'unknown' };

/** Reads a `#/...` address. */
export function routeOf(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/') return { page: 'list' };
  if (path === '/new') return { page: 'new' };
  if (path === '/events') return { page: 'events' };
  const event = /^\/events\/([A-Za-z0-9_]+)$/.exec(path);
  if (event?.[1] !== undefined) return { page: 'event', id: event[1] };
  const delivery = /^\/webhooks\/([A-Za-z0-9_]+)\/deliveries\/([A-Za-z0-9_]+)$/.exec(path);
  if (delivery?.[1] !== undefined && delivery[2] !== undefined) {
    return { page: 'subscription', id: delivery[1], delivery: delivery[2] };
  }
  const match = /^\/webhooks\/([A-Za-z0-9_]+)(\/edit)?$/.exec(path);
  if (match?.[1] !== undefined) {
    return match[2] === undefined ? { page: 'subscription', id: match[1] } : { page: 'edit', id: match[1] };
  }
  return { page: 'unknown' };
}

/** Addresses of the pages, for links. */
export const href = {
  list: '#/',
  new: '#/new',
  subscription: (id: string) => `#/webhooks/${id}`,
  edit: (id: string) => `#/webhooks/${id}/edit`,
  events: '#/events',
  event: (id: string) => `#/events/${id}`,
  /** A delivery, shown first on its subscription's page. */
  delivery: (subscriptionId: string, deliveryId: string) =>
    `#/webhooks/${subscriptionId}/deliveries/${deliveryId}`,
};
