import { ApiError, type EventType, type FieldError, messageOf, type Subscription } from '../../api.ts';
import { payloadFormatLabel } from '../../format.ts';

/** The payload formats the form offers, in the order of their labels: JSON, XML, JWT (Shipmondo). */
export const payloadFormats = Object.keys(payloadFormatLabel) as Subscription['format'][];

/** The form's fields, as typed. */
export interface Values {
  readonly name: string;
  readonly description: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly filter: string;
  readonly format: Subscription['format'];
  /**
   * A `jwt` subscription's key, as typed (write-only: the API never shows it, so an edit starts blank, and blank
   * keeps the key it has).
   */
  readonly jwt_key: string;
  readonly ordering: 'none' | 'resource';
  readonly headers: string;
  /** Deliveries a second, as typed; blank for no limit. */
  readonly rate_limit: string;
}

export type Field =
  | 'name'
  | 'description'
  | 'url'
  | 'events'
  | 'filter'
  | 'format'
  | 'jwt_key'
  | 'ordering'
  | 'headers'
  | 'rate_limit';

/** The fields in the order the error summary lists them. */
export const fields: readonly Field[] = [
  'name',
  'description',
  'url',
  'events',
  'filter',
  'format',
  'jwt_key',
  'ordering',
  'headers',
  'rate_limit',
];

export const fieldLabels: Record<Field, string> = {
  name: 'Name',
  description: 'Description',
  url: 'Endpoint URL',
  events: 'Event types',
  filter: 'Content filter',
  format: 'Payload format',
  jwt_key: 'JWT key',
  ordering: 'Delivery order',
  headers: 'Custom headers',
  rate_limit: 'Rate limit',
};

/** A new subscription's form: empty, JSON. */
export const emptyValues: Values = {
  name: '',
  description: '',
  url: '',
  events: [],
  filter: '',
  format: 'json',
  jwt_key: '',
  ordering: 'none',
  headers: '',
  rate_limit: '',
};

/** A subscription as the form shows it: its filter as indented JSON, its headers one `Name: value` a line. */
export function valuesOf(subscription: Subscription): Values {
  return {
    name: subscription.name,
    description: subscription.description ?? '',
    url: subscription.url,
    events: subscription.events,
    filter: subscription.filter === null ? '' : JSON.stringify(subscription.filter, null, 2),
    format: subscription.format,
    jwt_key: '',
    ordering: subscription.ordering,
    headers: Object.entries(subscription.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    rate_limit: subscription.rate_limit === null ? '' : String(subscription.rate_limit),
  };
}

/**
 * The rate limit to send: null for none (a blank field), a number for digits, and anything else as typed, as
 * text, so that the API says in its own words what a rate limit must be.
 */
export function rateLimitOf(typed: string): number | string | null {
  const text = typed.trim();
  if (text === '') return null;
  return /^\d+$/.test(text) ? Number(text) : typed;
}

/** The page's title: the new subscription's, or the edited one's by name. */
export const formTitle = (editing: boolean, before: Values | undefined): string =>
  editing ? `Edit ${before?.name ?? 'subscription'}` : 'New subscription';

/** The errors of a field, each in words that stand alone (`X-Team: is not a valid header name`). */
export type Errors = Partial<Record<Field | 'form', string[]>>;

/**
 * Where a JSON parser found a problem, as EventBridge's words for a content filter end
 * (`\n at [Source: (String)"..."; line: 1, column: 20]`): it quotes the filter as the API wrote it again, on
 * one line, rather than as it was typed, so its line and column point nowhere a person can look.
 */
const parserLocation = /\s*\bat \[Source: [\s\S]*\]\s*$/;

/**
 * The API's errors by field: `headers.X-Team` goes to the headers field as `X-Team: ...`; one about a field
 * the form does not have goes to the form as a whole, named, and one about the whole body unnamed. A parser's
 * location at the end of a message is left out.
 */
export function errorsFrom(list: readonly FieldError[]): Errors {
  const errors: Errors = {};
  for (const { field, message } of list) {
    const [head = '', ...rest] = field.split('.');
    const key: Field | 'form' = (fields as readonly string[]).includes(head) ? (head as Field) : 'form';
    const where = key === 'form' ? (field === 'body' ? '' : field) : rest.join('.');
    const words = message.replace(parserLocation, '');
    errors[key] = [...(errors[key] ?? []), where === '' ? words : `${where}: ${words}`];
  }
  return errors;
}

/** Reads the text fields that hold JSON and header lines; what cannot be read is the portal's own error. */
export function parsed(values: Values): {
  filter?: unknown;
  headers?: Record<string, string>;
  errors: Errors;
} {
  const errors: Errors = {};
  let filter: unknown;
  if (values.filter.trim() !== '') {
    try {
      filter = JSON.parse(values.filter);
    } catch (error) {
      errors.filter = [`is not valid JSON (${(error as Error).message})`];
    }
  }
  let headers: Record<string, string> | undefined;
  const lines = values.headers.split('\n').filter((line) => line.trim() !== '');
  if (lines.length > 0) {
    headers = {};
    lines.forEach((line, index) => {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        errors.headers = [...(errors.headers ?? []), `line ${index + 1}: write it as Name: value`];
        return;
      }
      (headers as Record<string, string>)[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    });
  }
  return {
    ...(filter === undefined ? {} : { filter }),
    ...(headers === undefined ? {} : { headers }),
    errors,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The event types to save: a type that a chosen `<resource>.*` covers goes without saying and is left out
 * (the picker still shows it ticked, and ticked again if the wildcard is taken back).
 */
export function savedEvents(events: readonly string[]): string[] {
  const wildcards = new Set(
    events.filter((event) => event.endsWith('.*')).map((event) => event.slice(0, -2)),
  );
  return [...new Set(events)].filter(
    (event) => event.endsWith('.*') || !wildcards.has(event.split('.')[0] ?? ''),
  );
}

/**
 * The JWT key to send: the one typed, for the `jwt` format only (the API takes no key for another, and drops a
 * subscription's key when it leaves `jwt`); none when the field is blank, which keeps an edited subscription's
 * key (a create without one is refused by the API, in its words, by the field).
 */
export const jwtKeyOf = (values: Values): string | undefined =>
  values.format === 'jwt' && values.jwt_key !== '' ? values.jwt_key : undefined;

/** The JWT key's field as the form shows it: whether it must be filled in, and what its hint says. */
export interface JwtKeyField {
  readonly required: boolean;
  readonly hint: string;
}

/** What happens when a key is saved: the API's verification request, as the reference platform sends it. */
const verificationWords =
  'its endpoint first gets a verification request signed with it and must answer 200 within 5 seconds.';

/**
 * The JWT key's field, shown for the `jwt` format only (undefined otherwise). The key is required unless an
 * edited subscription has one already (it was `jwt` when the form opened), which a blank field keeps. Every key
 * saved (a create, an edit that makes it `jwt` or replaces the key) sends the API's verification request first,
 * which the hint says.
 */
export function jwtKeyField(current: Values, before: Values | undefined): JwtKeyField | undefined {
  if (current.format !== 'jwt') return undefined;
  if (before?.format === 'jwt') {
    return {
      required: false,
      hint: `Leave it empty to keep the current key, which is never shown again. To replace it, type a new one of at least 32 bytes: ${verificationWords}`,
    };
  }
  return {
    required: true,
    hint: `The key each webhook’s JWT is signed with (HS256), at least 32 bytes: your receiver verifies the JWT with it. It is never shown again. When you save, ${verificationWords}`,
  };
}

/**
 * The body of a create, or of a PATCH with only what changed (`null` removes an optional field). A key typed is
 * always a change: the API never shows the key there is, so it cannot be compared.
 */
export function bodyOf(
  values: Values,
  before: Values | undefined,
  filter: unknown,
  headers: unknown,
): Record<string, unknown> {
  const wanted: Record<string, unknown> = {
    name: values.name,
    description: values.description.trim() === '' ? null : values.description,
    url: values.url.trim(),
    events: savedEvents(values.events),
    filter: values.filter.trim() === '' ? null : filter,
    format: values.format,
    ordering: values.ordering,
    headers: values.headers.trim() === '' ? null : headers,
    rate_limit: rateLimitOf(values.rate_limit),
  };
  if (before === undefined) {
    return withJwtKey(
      Object.fromEntries(Object.entries(wanted).filter(([, value]) => value !== null)),
      values,
    );
  }
  const previous = parsed(before);
  const was: Record<string, unknown> = {
    name: before.name,
    description: before.description.trim() === '' ? null : before.description,
    url: before.url,
    events: savedEvents(before.events),
    filter: before.filter.trim() === '' ? null : previous.filter,
    format: before.format,
    ordering: before.ordering,
    headers: before.headers.trim() === '' ? null : previous.headers,
    rate_limit: rateLimitOf(before.rate_limit),
  };
  const changed = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => !same(value, was[key])));
  return withJwtKey(changed, values);
}

/** The body with the JWT key to send, if any ({@link jwtKeyOf}). */
function withJwtKey(body: Record<string, unknown>, values: Values): Record<string, unknown> {
  const key = jwtKeyOf(values);
  return key === undefined ? body : { ...body, jwt_key: key };
}

/** What pressing save sends, with the portal's own errors about it. */
export interface Save {
  readonly body: Record<string, unknown>;
  /** The fields the portal could not read, and why. */
  readonly unread: Errors;
  /** An edit that changes nothing: nothing is sent. */
  readonly changesNothing: boolean;
}

/**
 * What to save: a create's whole body, or an edit's changes from `before`. A field the portal cannot read is
 * sent as typed, as text: the API refuses text where it wants an object, so nothing is saved, and it still
 * checks every other field, so that all the problems are listed at once. The portal's own message (`unread`)
 * says better what is wrong with that field.
 */
export function saveOf(current: Values, before: Values | undefined): Save {
  const read = parsed(current);
  const unread = read.errors;
  const body = bodyOf(
    current,
    before,
    unread.filter ? current.filter : read.filter,
    unread.headers ? current.headers : read.headers,
  );
  return { body, unread, changesNothing: before !== undefined && Object.keys(body).length === 0 };
}

/**
 * What a refused save shows: the API's field errors by field (or its message, for the form), with the
 * portal's own for the fields it could not read; and whether the subscription changed since the form opened
 * (412: an edit is conditional on the version it was opened at), which offers to reload it.
 */
export function failureOf(error: unknown, unread: Errors): { errors: Errors; stale: boolean } {
  const stale = error instanceof ApiError && error.status === 412;
  const found =
    error instanceof ApiError && error.errors.length > 0 && !stale
      ? errorsFrom(error.errors)
      : { form: [messageOf(error)] };
  return { errors: { ...found, ...unread }, stale };
}

/** The error summary's lines: the form's own first, then each field's in the form's order. */
export function summaryOf(errors: Errors): { field: Field | undefined; message: string }[] {
  return [
    ...(errors.form ?? []).map((message) => ({ field: undefined, message })),
    ...fields.flatMap((field) => (errors[field] ?? []).map((message) => ({ field, message }))),
  ];
}

/** A field's line in the error summary: its label and its message on one line. */
export const summaryLine = (field: Field, message: string): string =>
  `${fieldLabels[field]}: ${message.replace(/\s*\n\s*/g, ' ')}`;

/** The Idempotency-Key of a create, with the body it was made for. */
export interface CreateAttempt {
  readonly body: string;
  readonly key: string;
}

/** The create to make: the last one again (its key too) when the body is the same, as after a lost answer. */
export function createAttempt(
  last: CreateAttempt | undefined,
  body: Record<string, unknown>,
  newKey: () => string,
): CreateAttempt {
  const text = JSON.stringify(body);
  return last?.body === text ? last : { body: text, key: newKey() };
}

/** The words for the catalog's resources, as the picker's groups are titled. */
export const resourceLabels: Record<string, string> = {
  order: 'Orders',
  shipment: 'Shipments',
  draft: 'Draft shipments',
};

/** The catalog's event types by resource (`order` of `order.created`), in the catalog's order. */
export function eventGroups(types: readonly EventType[]): { resource: string; types: EventType[] }[] {
  const resources = [...new Set(types.map((type) => type.type.split('.')[0] ?? ''))];
  return resources.map((resource) => ({
    resource,
    types: types.filter((type) => type.type.startsWith(`${resource}.`)),
  }));
}

/** The chosen event types with one ticked or unticked. */
export const toggled = (selected: readonly string[], value: string, on: boolean): string[] =>
  on ? [...selected, value] : selected.filter((event) => event !== value);
