import * as z from 'zod/mini';
import { normalizedTargetUrl, type TargetPolicy, targetUrlProblem } from '../egress/target-guard.ts';
import { jwtKeyByteLength } from '../payloads/jwt-payload.ts';
import { contentFilterProblem } from './content-filter.ts';
import { isEventSelector, maxRateLimit, minRateLimit, orderings, payloadFormats } from './subscription.ts';

/** Bounds of what one subscription may hold. */
export const subscriptionLimits = {
  nameLength: 200,
  descriptionLength: 1000,
  urlLength: 2048,
  events: 100,
  headers: 20,
  headerNameLength: 64,
  headerValueLength: 1024,
  metadataKeys: 20,
  metadataKeyLength: 64,
  metadataValueLength: 512,
  /** A `jwt` webhook's key, in bytes (UTF-8): HS256 wants at least the hash's size (RFC 7518, 3.2). */
  jwtKeyMinBytes: 32,
  jwtKeyMaxBytes: 1024,
} as const;

/**
 * A `jwt` webhook's key, between `minBytes` and {@link subscriptionLimits.jwtKeyMaxBytes} bytes of UTF-8: 32 at
 * least through `/v1` (RFC 7518), any length through the compatible API (whose reference takes short keys).
 */
export const jwtKeySchema = (minBytes: number) =>
  z.string().check(
    z.superRefine((key, context) => {
      const bytes = jwtKeyByteLength(key);
      const message =
        bytes < minBytes
          ? minBytes === 1
            ? 'must not be empty'
            : `must be at least ${minBytes} bytes (HS256 wants a key as long as its hash, RFC 7518)`
          : bytes > subscriptionLimits.jwtKeyMaxBytes
            ? `must be at most ${subscriptionLimits.jwtKeyMaxBytes} bytes`
            : loneSurrogate.test(key)
              ? 'must be valid Unicode text'
              : undefined;
      if (message !== undefined) context.issues.push({ code: 'custom', message, input: key });
    }),
    z.meta({ minLength: minBytes === 1 ? 1 : Math.ceil(minBytes / 4) }),
  );

/**
 * Headers a subscription may not set: the signature's, the `jwt` format's (`SMD-*`), the body's framing and
 * encoding, the connection's, and the host. Prefixes end with `-`.
 */
const reservedHeaders = [
  'webhook-',
  'svix-',
  'smd-',
  'content-',
  'host',
  'user-agent',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-',
] as const;

const headerToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerValue = /^[\t\x20-\x7e]*$/;

function headerNameProblem(name: string): string | undefined {
  if (!headerToken.test(name)) return 'is not a valid header name';
  if (name.length > subscriptionLimits.headerNameLength) {
    return `must be at most ${subscriptionLimits.headerNameLength} characters`;
  }
  const lower = name.toLowerCase();
  const reserved = reservedHeaders.some((entry) =>
    entry.endsWith('-') ? lower.startsWith(entry) : lower === entry,
  );
  return reserved ? 'is set by the platform and cannot be overridden' : undefined;
}

/**
 * Keys no stored object may have: the AWS SDK's marshaller takes an object with an own `constructor` for a
 * class instance (and fails), and `__proto__` and `prototype` mean something else to much of JavaScript.
 */
export const reservedKeys: readonly string[] = ['constructor', '__proto__', 'prototype'];

/**
 * A record schema that first refuses {@link reservedKeys} in the raw input: zod's record drops `__proto__`
 * before its own checks see it, so it is looked for here, as `JSON.parse` made it (an own property).
 */
function withoutReservedKeys<T extends z.ZodMiniType>(record: T) {
  return z.pipe(
    z.transform((value: unknown, context) => {
      if (value === null || typeof value !== 'object') return value;
      for (const key of reservedKeys) {
        if (Object.hasOwn(value, key)) {
          context.issues.push({ code: 'custom', message: 'is a reserved name', input: value, path: [key] });
        }
      }
      return value;
    }),
    record,
  );
}

/**
 * Text without control characters (C0, DEL and C1), as a JSON Schema pattern and as the check itself;
 * `description` may also hold tabs and line breaks.
 */
const singleLinePattern = '^[^\\x00-\\x1f\\x7f-\\x9f]*$';
const multiLinePattern = '^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]*$';
/** A lone UTF-16 surrogate: JSON can carry one (`"\ud800"`), but it is no Unicode text. */
const loneSurrogate = /[\ud800-\udfff]/u;

/**
 * Refuses text that is not well-formed Unicode, or that does not match `pattern` (which the JSON Schema
 * states; well-formedness only in words, since not every regex dialect knows surrogates).
 */
function wellFormedText(pattern: string) {
  const allowed = new RegExp(pattern);
  return [
    z.superRefine((value: string, context) => {
      let message: string | undefined;
      if (loneSurrogate.test(value)) message = 'must be valid Unicode text';
      else if (!allowed.test(value)) message = 'must be text without control characters';
      if (message !== undefined) context.issues.push({ code: 'custom', message, input: value });
    }),
    z.meta({ pattern }),
  ] as const;
}

/**
 * What `targetUrlProblem` checks of the text alone, for the JSON Schema: `scheme://`, no user info, no
 * spaces, control characters or backslashes.
 */
const urlPattern =
  '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\\\\\\x00-\\x20\\x7f]+(?:[/?#][^\\\\\\x00-\\x20\\x7f]*)?$';

const maxLength = (max: number) => z.maxLength(max, `must be at most ${max} characters`);

const nameSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    maxLength(subscriptionLimits.nameLength),
    ...wellFormedText(singleLinePattern),
  );

const descriptionSchema = z
  .string()
  .check(maxLength(subscriptionLimits.descriptionLength), ...wellFormedText(multiLinePattern));

/**
 * The URL as `targetUrlProblem` judges it, stored as the URL parser writes it (`normalizedTargetUrl`), so
 * that what is stored, shown and sent is the same URL.
 */
const urlSchema = (policy: TargetPolicy) =>
  z.string().check(
    maxLength(subscriptionLimits.urlLength),
    z.superRefine((url, context) => {
      // Too long is said once, above.
      if (url.length > subscriptionLimits.urlLength) return;
      const problem = targetUrlProblem(url, policy);
      if (problem !== undefined) context.issues.push({ code: 'custom', message: problem, input: url });
    }),
    z.overwrite(normalizedTargetUrl),
    z.meta({ pattern: urlPattern }),
  );

const eventsSchema = z
  .array(
    z.string().check(
      z.superRefine((selector, context) => {
        if (isEventSelector(selector)) return;
        const message = `${selector.slice(0, 100)} is not an event type; use one from the catalog or <resource>.* (e.g. order.*)`;
        context.issues.push({ code: 'custom', message, input: selector });
      }),
    ),
  )
  .check(
    z.minLength(1, 'must name at least one event type'),
    z.maxLength(subscriptionLimits.events, `must name at most ${subscriptionLimits.events} event types`),
  );

/**
 * More values than any filter within its size limit can hold (each takes at least one character of its
 * JSON text): a walk that reaches it stops, and the size check refuses the filter.
 */
const maxFilterValues = 4096;

/**
 * Why a parsed filter cannot be stored as the JSON it came as, or undefined: `JSON.parse` reads `1e400` as
 * Infinity, which `JSON.stringify` writes as `null`, and keeps lone surrogates in strings and keys. Walks
 * without recursion, and at most {@link maxFilterValues} values.
 */
function filterValueProblem(filter: unknown): string | undefined {
  const pending: unknown[] = [filter];
  for (let seen = 0; pending.length > 0 && seen < maxFilterValues; seen++) {
    const value = pending.pop();
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return 'must hold only finite numbers (JSON cannot keep one this large)';
    }
    if (typeof value === 'string' && loneSurrogate.test(value)) return 'must be valid Unicode text';
    if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (loneSurrogate.test(key)) return 'must be valid Unicode text';
        pending.push(item);
      }
    }
  }
  return undefined;
}

const filterSchema = withoutReservedKeys(
  z.record(z.string(), z.unknown()).check(
    z.superRefine((filter, context) => {
      const problem = filterValueProblem(filter) ?? contentFilterProblem(filter);
      if (problem !== undefined) context.issues.push({ code: 'custom', message: problem, input: filter });
    }),
    z.meta({ minProperties: 1 }),
  ),
);

const headersSchema = withoutReservedKeys(
  z
    .record(
      z.string().check(
        z.meta({
          pattern: headerToken.source,
          maxLength: subscriptionLimits.headerNameLength,
          not: { enum: reservedKeys },
        }),
      ),
      z.string().check(
        z.meta({
          pattern: headerValue.source,
          maxLength: subscriptionLimits.headerValueLength,
        }),
      ),
    )
    .check(
      z.superRefine((headers, context) => {
        const names = Object.keys(headers);
        if (names.length > subscriptionLimits.headers) {
          const message = `must have at most ${subscriptionLimits.headers} headers`;
          context.issues.push({ code: 'custom', message, input: headers });
        }
        const seen = new Set<string>();
        for (const name of names) {
          const value = headers[name] ?? '';
          let problem = headerNameProblem(name);
          if (problem === undefined && seen.has(name.toLowerCase()))
            problem = 'is given twice (names ignore case)';
          if (problem === undefined && !headerValue.test(value)) {
            problem = 'must be printable ASCII without line breaks';
          }
          if (problem === undefined && value.length > subscriptionLimits.headerValueLength) {
            problem = `must be at most ${subscriptionLimits.headerValueLength} characters`;
          }
          seen.add(name.toLowerCase());
          if (problem !== undefined) {
            context.issues.push({ code: 'custom', message: problem, input: value, path: [name] });
          }
        }
      }),
      z.meta({ maxProperties: subscriptionLimits.headers }),
    ),
);

const metadataSchema = withoutReservedKeys(
  z
    .record(
      z
        .string()
        .check(
          z.minLength(1, 'must not be empty'),
          maxLength(subscriptionLimits.metadataKeyLength),
          ...wellFormedText(singleLinePattern),
          z.meta({ not: { enum: reservedKeys } }),
        ),
      z
        .string()
        .check(maxLength(subscriptionLimits.metadataValueLength), ...wellFormedText(singleLinePattern)),
    )
    .check(
      z.refine(
        (value) => Object.keys(value).length <= subscriptionLimits.metadataKeys,
        `must have at most ${subscriptionLimits.metadataKeys} keys`,
      ),
      z.meta({ maxProperties: subscriptionLimits.metadataKeys }),
    ),
);

/** What `rate_limit` must be, in words: every wrong value gets this one message. */
export const rateLimitRule = `must be a whole number of deliveries a second from ${minRateLimit} to ${maxRateLimit}, or null for no limit`;

/**
 * Deliveries a second: one check for type and bounds, so that `"10"`, `1.5` and `0` all get
 * {@link rateLimitRule} (zod's own type and `int` messages name no bounds); the JSON Schema states it as an
 * integer with its bounds.
 */
const rateLimitSchema = z
  .custom<number>(
    (value) =>
      typeof value === 'number' &&
      Number.isSafeInteger(value) &&
      value >= minRateLimit &&
      value <= maxRateLimit,
    rateLimitRule,
  )
  .check(z.meta({ type: 'integer', minimum: minRateLimit, maximum: maxRateLimit }));

/** Fields of a subscription that a client sets; `status` only by an update. */
const fields = (policy: TargetPolicy) => ({
  name: nameSchema,
  description: descriptionSchema,
  url: urlSchema(policy),
  events: eventsSchema,
  filter: filterSchema,
  format: z.enum(payloadFormats, 'must be json, xml or jwt'),
  jwt_key: jwtKeySchema(subscriptionLimits.jwtKeyMinBytes),
  headers: headersSchema,
  metadata: metadataSchema,
  rate_limit: rateLimitSchema,
  ordering: z.enum(orderings, 'must be none or resource'),
});

/** The body of `POST /v1/webhooks`; which URLs are acceptable depends on the deployment's target policy. */
export const createSubscriptionSchema = (policy: TargetPolicy) => {
  const field = fields(policy);
  return z.strictObject({
    name: field.name,
    description: z.optional(field.description),
    url: field.url,
    events: field.events,
    filter: z.optional(field.filter),
    format: z.optional(field.format),
    jwt_key: z.optional(field.jwt_key),
    headers: z.optional(field.headers),
    metadata: z.optional(field.metadata),
    // null is the default said out loud: no limit.
    rate_limit: z.optional(z.nullable(field.rate_limit)),
    ordering: z.optional(field.ordering),
  });
};

export type CreateSubscriptionInput = z.infer<ReturnType<typeof createSubscriptionSchema>>;

/** The statuses a client may set; `disabled` is the platform's to set. */
const clientStatus = z.enum(
  ['active', 'paused'],
  'must be active or paused (disabled is set by the platform after failures)',
);

/**
 * The body of `PATCH /v1/webhooks/{id}`: any field; `null` removes an optional one (description, filter,
 * headers, metadata, rate_limit). Setting `status` to `active` re-enables a disabled subscription.
 */
export const updateSubscriptionSchema = (policy: TargetPolicy) => {
  const field = fields(policy);
  return z.strictObject({
    name: z.optional(field.name),
    description: z.optional(z.nullable(field.description)),
    url: z.optional(field.url),
    events: z.optional(field.events),
    filter: z.optional(z.nullable(field.filter)),
    status: z.optional(clientStatus),
    format: z.optional(field.format),
    jwt_key: z.optional(field.jwt_key),
    headers: z.optional(z.nullable(field.headers)),
    metadata: z.optional(z.nullable(field.metadata)),
    rate_limit: z.optional(z.nullable(field.rate_limit)),
    ordering: z.optional(field.ordering),
  });
};

export type UpdateSubscriptionInput = z.infer<ReturnType<typeof updateSubscriptionSchema>>;

/** The body of `POST /v1/webhooks/{id}/rotate-secret` (which may also have none). */
export const rotateSecretSchema = z.strictObject({
  previous_secret_expires_in: z.optional(
    z.number().check(
      // A refinement rather than z.int(), whose type issue the field errors word as "must be a int"; the JSON
      // Schema still says integer.
      z.refine(Number.isInteger, 'must be a whole number of seconds from 0 to 604800 (7 days)'),
      z.minimum(0, 'must be at least 0'),
      z.maximum(604_800, 'must be at most 604800 (7 days)'),
      z.meta({ type: 'integer' }),
    ),
  ),
});

export type RotateSecretInput = z.infer<typeof rotateSecretSchema>;
