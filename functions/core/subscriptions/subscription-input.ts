import * as z from 'zod/mini';
import { type TargetPolicy, targetUrlProblem } from '../delivery/target-guard.ts';
import { contentFilterProblem } from './content-filter.ts';
import { isEventSelector, payloadFormats } from './subscription.ts';

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
} as const;

/**
 * Headers a subscription may not set: the signature's, the body's framing and encoding, the connection's, and
 * the host. Prefixes end with `-`.
 */
const reservedHeaders = [
  'webhook-',
  'svix-',
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

const text = (max: number) => z.string().check(z.maxLength(max, `must be at most ${max} characters`));

const nameSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(subscriptionLimits.nameLength, `must be at most ${subscriptionLimits.nameLength} characters`),
  );

const urlSchema = (policy: TargetPolicy) =>
  text(subscriptionLimits.urlLength).check(
    z.superRefine((url, context) => {
      // Too long is said once, above.
      if (url.length > subscriptionLimits.urlLength) return;
      const problem = targetUrlProblem(url, policy);
      if (problem !== undefined) context.issues.push({ code: 'custom', message: problem, input: url });
    }),
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

const filterSchema = z.record(z.string(), z.unknown()).check(
  z.superRefine((filter, context) => {
    const problem = contentFilterProblem(filter);
    if (problem !== undefined) context.issues.push({ code: 'custom', message: problem, input: filter });
  }),
);

const headersSchema = z.record(z.string(), z.string()).check(
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
);

const metadataSchema = z
  .record(
    z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(
          subscriptionLimits.metadataKeyLength,
          `must be at most ${subscriptionLimits.metadataKeyLength} characters`,
        ),
      ),
    text(subscriptionLimits.metadataValueLength),
  )
  .check(
    z.refine(
      (value) => Object.keys(value).length <= subscriptionLimits.metadataKeys,
      `must have at most ${subscriptionLimits.metadataKeys} keys`,
    ),
  );

/** Fields of a subscription that a client sets; `status` only by an update. */
const fields = (policy: TargetPolicy) => ({
  name: nameSchema,
  description: text(subscriptionLimits.descriptionLength),
  url: urlSchema(policy),
  events: eventsSchema,
  filter: filterSchema,
  format: z.enum(payloadFormats, 'must be json or xml'),
  headers: headersSchema,
  metadata: metadataSchema,
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
    headers: z.optional(field.headers),
    metadata: z.optional(field.metadata),
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
 * headers, metadata). Setting `status` to `active` re-enables a disabled subscription.
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
    headers: z.optional(z.nullable(field.headers)),
    metadata: z.optional(z.nullable(field.metadata)),
  });
};

export type UpdateSubscriptionInput = z.infer<ReturnType<typeof updateSubscriptionSchema>>;

/** The body of `POST /v1/webhooks/{id}/rotate-secret` (which may also have none). */
export const rotateSecretSchema = z.strictObject({
  previous_secret_expires_in: z.optional(
    z
      .number('must be a number of seconds')
      .check(
        z.int('must be a whole number of seconds'),
        z.minimum(0, 'must be at least 0'),
        z.maximum(604_800, 'must be at most 604800 (7 days)'),
      ),
  ),
});

export type RotateSecretInput = z.infer<typeof rotateSecretSchema>;
