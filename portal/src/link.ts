import { portalTokenParameter } from '../../functions/core/accounts/portal-access.ts';
import { type Link, linkOf } from './session.ts';

const storageKey = 'hookbridge-portal-token';

/** The token of a portal link in the address (`#token=whp_...`), if there is one. */
const tokenInAddress = (): string | null =>
  new URLSearchParams(location.hash.slice(1)).get(portalTokenParameter);

function stored(): string | undefined {
  try {
    return sessionStorage.getItem(storageKey) ?? undefined;
  } catch {
    // Storage can be off (a sandboxed frame); the session then lasts as long as the page.
    return undefined;
  }
}

function store(token: string): void {
  try {
    sessionStorage.setItem(storageKey, token);
  } catch {
    // See stored().
  }
}

/**
 * The link of this tab. A link's token (`#token=whp_...`) is taken from the address and the address is
 * replaced without it, so it is not left in the history or shown over a shoulder; it is kept in this tab's
 * session storage, so that a reload keeps working until the link expires, and nowhere else.
 */
export function takeLink(): Link | undefined {
  const fromLink = tokenInAddress();
  if (fromLink !== null) {
    store(fromLink);
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  }
  const token = fromLink ?? stored();
  if (token === undefined || token === '') return undefined;
  return linkOf(token);
}

/**
 * Opens a portal link pasted into a tab already on the portal as a new tab would: the address changes only in its
 * fragment, which loads nothing, so the page loads again and {@link takeLink} takes the new token (without this,
 * the token stayed in the address under "Page not found", and the tab kept the old link's session).
 */
export function reloadOnNewLink(): void {
  window.addEventListener('hashchange', () => {
    if (tokenInAddress() !== null) location.reload();
  });
}
