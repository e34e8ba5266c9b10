/**
 * What the portal and the platform agree on about portal requests. Plain constants, without Node.js imports,
 * so that the portal's browser bundle shares them.
 */

/** The header every request of the portal carries; a portal token without it is refused. */
export const portalRequestHeader = 'Hookbridge-Portal';
/** Its value. */
export const portalRequestHeaderValue = '1';

/** The path the portal is served at. */
export const portalPath = '/portal/';

/** The URL fragment parameter that carries a portal link's token (a fragment never reaches the server). */
export const portalTokenParameter = 'token';

/** The answers' `detail` (and `errors[].message`) when a portal token is refused, which the portal shows. */
export const portalRefusals = {
  expired: 'The portal link has expired; ask for a new one',
  invalid: 'The portal link is not valid; ask for a new one',
  notFromPortal: `A portal link works only from the portal, whose requests carry ${portalRequestHeader}: ${portalRequestHeaderValue}; use an API key`,
  otherSite: 'A portal link works only from the portal itself, not from a page of another site',
} as const;
