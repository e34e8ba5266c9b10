/**
 * Who the sandbox answers. It listens on 127.0.0.1 only, but a web page can still reach a loopback port: by
 * DNS rebinding (a name of the page's own that first resolves to its server, then to 127.0.0.1, so the browser
 * sends the page's name as `Host`), or by calling it cross-origin from another local page. Its AWS endpoints
 * take any signature, as other local AWS emulators do, so either would let the page read every signing
 * secret in the sandbox's table.
 *
 * So the sandbox answers only requests for a loopback name or address with its own port (`Host`), and its AWS
 * endpoints answer no browser from another origin: AWS SDKs send no `Origin`, and a browser's preflight for
 * `X-Amz-Target` is refused, so the browser never sends the request itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackHostname } from '../functions/core/http/loopback.ts';

/** Whether `authority` (a `Host` value, or an origin's `host:port`) names this sandbox: a loopback host, its port. */
export function isLocalAuthority(authority: string, port: number): boolean {
  const colon = authority.lastIndexOf(':');
  if (colon < 0) return false;
  return authority.slice(colon + 1) === String(port) && isLoopbackHostname(authority.slice(0, colon));
}

/** Whether `origin` (an `Origin` header) is one of the sandbox's own: `http://` and a local authority. */
function isOwnOrigin(origin: string, port: number): boolean {
  return origin.startsWith('http://') && isLocalAuthority(origin.slice('http://'.length), port);
}

/** Whether a request is for the AWS JSON protocol endpoints, or a browser's preflight for one. */
function isForAwsEndpoints(req: IncomingMessage): boolean {
  if (req.headers['x-amz-target'] !== undefined) return true;
  const asked = req.headers['access-control-request-headers'];
  return (
    req.method === 'OPTIONS' &&
    typeof asked === 'string' &&
    asked.split(',').some((header) => header.trim().toLowerCase() === 'x-amz-target')
  );
}

/** Why the sandbox does not answer a request: the status it answers instead, and a message saying why. */
export interface Refusal {
  readonly status: 400 | 403;
  readonly message: string;
}

/**
 * Why the sandbox on `port` refuses to answer this request, or undefined if it answers it: more than one
 * `Host` header (400, as RFC 9112 section 3.2 requires); a `Host` that is not a loopback name or address with
 * the sandbox's port (403); a request for the AWS endpoints from a browser page of another origin, or a
 * preflight for one (the request that follows it would carry `X-Amz-Target`) (403).
 */
export function refusalOf(req: IncomingMessage, port: number): Refusal | undefined {
  // Node keeps the first of several Host headers in `headers`; `headersDistinct` has them all.
  if ((req.headersDistinct.host?.length ?? 0) > 1) {
    return { status: 400, message: 'A request carries one Host header, not several.' };
  }
  const host = req.headers.host ?? '';
  if (!isLocalAuthority(host, port)) {
    return {
      status: 403,
      message:
        `The sandbox answers only requests for localhost:${port}, 127.0.0.1:${port} or [::1]:${port}, ` +
        `not for ${JSON.stringify(host.slice(0, 100))}.`,
    };
  }
  if (!isForAwsEndpoints(req)) return undefined;
  const origin = req.headers.origin;
  if (req.method === 'OPTIONS' || (origin !== undefined && !isOwnOrigin(origin, port))) {
    return { status: 403, message: "The sandbox's AWS endpoints do not answer web pages of other origins." };
  }
  return undefined;
}

/**
 * Answers a refused request with its status and reason, and no CORS headers, so that no page can read it; a
 * 400 closes the connection, whose next request could not be trusted either.
 */
export function refuse(res: ServerResponse, refusal: Refusal): void {
  const body = JSON.stringify({ message: refusal.message });
  res.writeHead(refusal.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(refusal.status === 400 ? { connection: 'close' } : {}),
  });
  res.end(body);
}
