import type { LookupAddress, LookupAllOptions, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { buildConnector as Connector } from 'undici';
import buildConnector from 'undici/lib/core/connect.js';
import { addressProblem, type TargetPolicy } from './target-guard.ts';

/** A connection refused by the address guard before any packet was sent. */
export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
}

/** `dns.lookup` in its every-address form: what the guard asks, and what a test may answer instead of DNS. */
export type AddressLookup = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

type NetLookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * The lookup a socket uses for a name: every address the name resolves to must be allowed, or the connection
 * is refused, so a name that resolves to a private address (at save time or later) is never connected to.
 */
function guardedLookup(policy: TargetPolicy, resolve: AddressLookup) {
  return (hostname: string, options: LookupOptions, callback: NetLookupCallback): void => {
    resolve(hostname, { family: options.family, hints: options.hints, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const entry of addresses) {
        const problem = addressProblem(entry.address, policy);
        if (problem !== undefined) {
          return callback(new BlockedAddressError(`blocked ${hostname} (${entry.address}): ${problem}`), []);
        }
      }
      const first = addresses[0];
      if (first === undefined) {
        return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      }
      return options.all ? callback(null, addresses) : callback(null, first.address, first.family);
    });
  };
}

/** The connections a sender opened over a period, and how long each took to set up (DNS, TCP, TLS). */
export interface ConnectionStats {
  readonly opened: number;
  /** Milliseconds from asking for a connection to having it, at most {@link setupTimesKept} of them. */
  readonly setupMs: readonly number[];
}

/** How many setup times a period keeps; `opened` counts every connection all the same. */
export const setupTimesKept = 1000;

/**
 * Counts the connections opened and keeps their setup times, until {@link ConnectionTally.take} answers them
 * and starts a new period. Past {@link setupTimesKept} in one period, each new time replaces a kept one at
 * random (a reservoir sample), so the kept times stay a fair sample of the period and memory stays bounded.
 */
export class ConnectionTally {
  private opened = 0;
  private setupMs: number[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  /** One connection opened, `setupMs` after it was asked for. */
  add(setupMs: number): void {
    this.opened++;
    const ms = Math.round(setupMs);
    if (this.setupMs.length < setupTimesKept) this.setupMs.push(ms);
    else {
      const slot = Math.floor(this.random() * this.opened);
      if (slot < setupTimesKept) this.setupMs[slot] = ms;
    }
  }

  /** What this period counted; the next starts empty. */
  take(): ConnectionStats {
    const stats = { opened: this.opened, setupMs: this.setupMs };
    this.opened = 0;
    this.setupMs = [];
    return stats;
  }
}

/**
 * Opens connections through the guard: a literal IP host (which sockets connect to without a lookup) is
 * judged here, a name by `guardedLookup`; either way nothing is sent to a refused address. A connection that
 * opens is counted in `connections` with its setup time, from this call to undici's callback: the lookup,
 * the TCP handshake and, for https, the TLS handshake. `timeoutMs` bounds that whole setup.
 */
export function guardedConnector(
  policy: TargetPolicy,
  timeoutMs: number,
  resolve: AddressLookup,
  connections?: ConnectionTally,
) {
  const connect = buildConnector({ lookup: guardedLookup(policy, resolve), timeout: timeoutMs });
  return (options: Connector.Options, callback: Connector.Callback): void => {
    const problem = isIP(options.hostname) === 0 ? undefined : addressProblem(options.hostname, policy);
    if (problem !== undefined) {
      callback(new BlockedAddressError(`blocked ${options.hostname}: ${problem}`), null);
      return;
    }
    if (connections === undefined) {
      connect(options, callback);
      return;
    }
    const asked = performance.now();
    connect(options, (...answer) => {
      if (answer[0] === null) connections.add(performance.now() - asked);
      callback(...answer);
    });
  };
}
