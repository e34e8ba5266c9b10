import { type Answer, type Method, type Page, request } from './api.ts';

/** The portal link this tab opened: its token and what the token says about itself. */
export interface Link {
  readonly token: string;
  readonly accountId: string;
  /** Undefined when the token does not say (a forged or damaged one). */
  readonly expiresAt: Date | undefined;
}

/** What a token's readable part says; the server checks the signature, this only reads. */
export function linkOf(token: string): Link {
  try {
    const payload = token.replace(/^whp_/, '').split('.')[0] ?? '';
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
      a?: unknown;
      e?: unknown;
    };
    return {
      token,
      accountId: typeof json.a === 'string' ? json.a : '',
      expiresAt: typeof json.e === 'number' ? new Date(json.e * 1000) : undefined,
    };
  } catch {
    return { token, accountId: '', expiresAt: undefined };
  }
}

/** Whether the link's own expiry has passed (the server's refusal says so too; this picks the words). */
export function hasExpired(link: Link | undefined, now = new Date()): boolean {
  return link?.expiresAt !== undefined && link.expiresAt.getTime() <= now.getTime();
}

/** A message about what just happened: polite for news, assertive for failures. */
export interface Notice {
  readonly tone: 'success' | 'error' | 'info';
  readonly text: string;
}

/** A new signing secret, for its subscription's page to show once. */
export interface RevealedSecret {
  readonly id: string;
  readonly secret: string;
  readonly kind: 'created' | 'rotated';
}

/**
 * What this tab keeps while the portal is open, in one place: the link whose token every request carries,
 * what to do when the API refuses it, a notice for the next page, and a new secret for its page. `main.tsx`
 * makes the one session and hands it to the app, which hands it to the pages.
 */
export class Session {
  #refused: (detail: string) => void = () => undefined;
  #carried: Notice | undefined;
  #revealed: RevealedSecret | undefined;

  constructor(readonly link: Link | undefined) {}

  /** The token the API's requests carry ('' without a link). */
  get token(): string {
    return this.link?.token ?? '';
  }

  /** Sets what to do when the API refuses the token (an expired or forged link). */
  whenRefused(handler: (detail: string) => void): void {
    this.#refused = handler;
  }

  /** The API refused the token, saying why. */
  refused(detail: string): void {
    this.#refused(detail);
  }

  /** Calls the public API with this session's token (see {@link request}). */
  readonly call = <T>(
    method: Method,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer<T>> => request<T>(this, method, path, body, headers);

  /** Reads the page of a list at an address of the API (see {@link call}). */
  readonly readPage = async <T>(path: string): Promise<Page<T>> =>
    (await this.call<Page<T>>('GET', path)).data;

  /** A notice for the next page (e.g. "Deleted" on the list after a delete). */
  carryNotice(notice: Notice): void {
    this.#carried = notice;
  }

  /** The notice carried to this page, once: a second take finds none. */
  takeNotice(): Notice | undefined {
    const taken = this.#carried;
    this.#carried = undefined;
    return taken;
  }

  /** Hands a new secret to the subscription's page, which shows it once. */
  showSecretOnce(secret: RevealedSecret): void {
    this.#revealed = secret;
  }

  /** The secret handed over for this subscription, once; one for another subscription stays. */
  takeSecret(id: string): RevealedSecret | undefined {
    const taken = this.#revealed?.id === id ? this.#revealed : undefined;
    if (taken !== undefined) this.#revealed = undefined;
    return taken;
  }
}
