import { portalSessionSeconds, signPortalToken } from './portal-token.ts';

/** What creating a portal session needs: the signing key (made on first use) and the time. */
export interface PortalSessionPorts {
  readonly signingKey: () => Promise<Uint8Array>;
  readonly now: () => Date;
}

/** A portal session: the token of its link and when it stops working. */
export interface PortalSession {
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * A session of the portal for one account, lasting `expiresInSeconds` (1 hour by default; the route checks
 * the bounds). Nothing is stored: the token carries the account and its expiry, signed. Expiry is kept to
 * whole seconds, as the token states it.
 */
export async function createPortalSession(
  accountId: string,
  expiresInSeconds: number = portalSessionSeconds.default,
  ports: PortalSessionPorts,
): Promise<PortalSession> {
  const expiresAt = new Date(Math.floor(ports.now().getTime() / 1000 + expiresInSeconds) * 1000);
  return { token: signPortalToken({ accountId, expiresAt }, await ports.signingKey()), expiresAt };
}
