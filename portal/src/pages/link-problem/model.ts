import { portalRefusals } from '../../../../functions/core/accounts/portal-access.ts';
import { hasExpired, type Link } from '../../session.ts';

/** Why the portal cannot open: no link, an expired one, or one the platform does not accept. */
export type LinkProblem =
  | { readonly kind: 'missing' }
  | { readonly kind: 'expired' | 'invalid'; readonly detail: string };

/** What the page's title says. */
export const problemTitles = {
  missing: 'Open the portal from your link',
  expired: 'This link has expired',
  invalid: 'This link is not valid',
} as const;

/** Why it may have happened, in other words than the title's. */
export const problemCauses = {
  expired: 'Portal links work for a limited time only.',
  invalid:
    'A portal link works only whole, exactly as it was given: one cut short or changed on the way does not open the portal.',
} as const;

/**
 * Whether the portal is opened from this machine (`localhost`, `127.x.x.x`, `[::1]`): most likely the sandbox of
 * a developer, who gets links from `npm start` rather than from a service. A deployed portal never is.
 */
export function isOnThisMachine(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  );
}

/** The problem the API's refusal of the link's token (its `detail`) means: expired, or not valid. */
export function refusedLink(link: Link, detail: string, now = new Date()): LinkProblem {
  return { kind: hasExpired(link, now) || /expired/i.test(detail) ? 'expired' : 'invalid', detail };
}

/** The problem when the link's time is up while the page is open (the API would refuse the next request). */
export const expiredLink: LinkProblem = { kind: 'expired', detail: portalRefusals.expired };

/** The longest wait a browser's timer takes (2^31 - 1 ms, about 24.8 days). */
const longestTimer = 2_147_483_647;

/**
 * How long until the link's expiry, for a timer that shows the expiry page then; undefined when the link
 * does not say, or looks expired already (left to the API to refuse: it has the last word).
 */
export function msUntilExpiry(link: Link, now = Date.now()): number | undefined {
  const expiresAt = link.expiresAt?.getTime();
  if (expiresAt === undefined || expiresAt <= now) return undefined;
  return Math.min(Math.max(0, expiresAt - now), longestTimer);
}

/** Whether the page shows the API's own words: only when they say something else than the title. */
export function showsDetail(problem: LinkProblem): problem is Extract<LinkProblem, { detail: string }> {
  return problem.kind !== 'missing' && problem.detail !== portalRefusals[problem.kind];
}
