import { portalTokenParameter } from '../../functions/core/accounts/portal-access.ts';

const storageKey = 'hookbridge-portal-token';

/** The portal session this tab holds: its token and what the token says about itself. */
export interface Session {
  readonly token: string;
  readonly accountId: string;
  /** Undefined when the token does not say (a forged or damaged one). */
  readonly expiresAt: Date | undefined;
}

/** What a token's readable part says; the server checks the signature, this only reads. */
function claimsOf(token: string): { accountId: string; expiresAt: Date | undefined } {
  try {
    const payload = token.replace(/^whp_/, '').split('.')[0] ?? '';
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
      a?: unknown;
      e?: unknown;
    };
    return {
      accountId: typeof json.a === 'string' ? json.a : '',
      expiresAt: typeof json.e === 'number' ? new Date(json.e * 1000) : undefined,
    };
  } catch {
    return { accountId: '', expiresAt: undefined };
  }
}

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
 * The session of this tab. A link's token (`#token=whp_...`) is taken from the address and the address is
 * replaced without it, so it is not left in the history or shown over a shoulder; it is kept in this tab's
 * session storage, so that a reload keeps working until the link expires, and nowhere else.
 */
export function takeSession(): Session | undefined {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromLink = fragment.get(portalTokenParameter);
  if (fromLink !== null) {
    store(fromLink);
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  }
  const token = fromLink ?? stored();
  if (token === undefined || token === '') return undefined;
  return { token, ...claimsOf(token) };
}

/** Whether the session's own expiry has passed (the server's refusal says so too; this picks the words). */
export function hasExpired(session: Session | undefined, now = new Date()): boolean {
  return session?.expiresAt !== undefined && session.expiresAt.getTime() <= now.getTime();
}
