/**
 * How an integration of the reference platform (Shipmondo) reads a `jwt` webhook: the body `{"data": "<JWT>"}`,
 * the JWT verified with jose pinned to HS256 and the webhook's key, its claims, and the five `SMD-*` headers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { errors, jwtVerify } from 'jose';

/** What the `SMD-*` headers say (empty when absent). */
export interface SmdHeaders {
  readonly resourceType: string;
  readonly resourceId: string;
  readonly webhookId: string;
  readonly action: string;
  readonly user: string;
}

/** A jwt webhook as read: verified with its claims and headers, or refused with the reason. */
export type JwtWebhook =
  | { readonly verified: true; readonly claims: Record<string, unknown>; readonly smd: SmdHeaders }
  | { readonly verified: false; readonly reason: string };

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
};

/** Reads and verifies a jwt webhook's body with `key` (its UTF-8 bytes). */
export async function verifyJwtWebhook(
  body: string,
  headers: IncomingHttpHeaders,
  key: string,
): Promise<JwtWebhook> {
  let token: unknown;
  try {
    token = (JSON.parse(body) as { data?: unknown } | null)?.data;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string') return { verified: false, reason: 'the body is not {"data": "<JWT>"}' };
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(key), { algorithms: ['HS256'] });
    return {
      verified: true,
      claims: payload,
      smd: {
        resourceType: header(headers, 'smd-resource-type'),
        resourceId: header(headers, 'smd-resource-id'),
        webhookId: header(headers, 'smd-webhook-id'),
        action: header(headers, 'smd-action'),
        user: header(headers, 'smd-user'),
      },
    };
  } catch (error) {
    return { verified: false, reason: error instanceof errors.JOSEError ? error.message : String(error) };
  }
}
