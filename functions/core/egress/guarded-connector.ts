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

/**
 * Opens connections through the guard: a literal IP host (which sockets connect to without a lookup) is
 * judged here, a name by `guardedLookup`; either way nothing is sent to a refused address.
 */
export function guardedConnector(policy: TargetPolicy, timeoutMs: number, resolve: AddressLookup) {
  const connect = buildConnector({ lookup: guardedLookup(policy, resolve), timeout: timeoutMs });
  return (options: Connector.Options, callback: Connector.Callback): void => {
    const problem = isIP(options.hostname) === 0 ? undefined : addressProblem(options.hostname, policy);
    if (problem === undefined) connect(options, callback);
    else callback(new BlockedAddressError(`blocked ${options.hostname}: ${problem}`), null);
  };
}
