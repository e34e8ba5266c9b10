/**
 * Loopback names and addresses, one definition for the API (a portal link's scheme: http on a loopback host,
 * which only the sandbox serves) and the sandbox (which answers only requests for one).
 */

/** `localhost` and its subdomains (RFC 6761: always loopback; browsers never ask DNS), 127.0.0.0/8, `[::1]`. */
const loopbackName = String.raw`localhost|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+localhost|127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}|\[::1\]`;
const loopbackHostname = new RegExp(`^(?:${loopbackName})$`, 'i');
const loopbackHostWithPort = new RegExp(`^(?:${loopbackName})(?::\\d{1,5})?$`, 'i');

/** Whether `hostname` (no port) is a loopback name or address: `localhost`, `a-b.localhost`, `127.0.0.1`, `[::1]`. */
export function isLoopbackHostname(hostname: string): boolean {
  return loopbackHostname.test(hostname);
}

/** Whether `host` (a `Host` value: a hostname, optionally with a port) is a loopback name or address. */
export function isLoopbackHost(host: string): boolean {
  return loopbackHostWithPort.test(host);
}
