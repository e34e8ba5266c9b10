import * as z from 'zod/mini';

/**
 * Building blocks of the event schemas. Each call makes a new schema, so every field carries its own
 * description into the JSON Schema. Descriptions are registered in zod's global registry (not attached as
 * checks), so objects built here can still be extended or made partial. Every check gives its own message: the
 * API and fan-out report `fieldErrors`, and zod/mini has no locale loaded.
 */

/** Attaches the description (and any other JSON Schema annotations) that `z.toJSONSchema` publishes. */
export function described<T extends z.ZodMiniType>(schema: T, description: string, meta: object = {}): T {
  z.globalRegistry.add(schema, { ...meta, description });
  return schema;
}

/** An identifier: a non-empty string of at most 256 characters, e.g. `ord_01JD4X7K2M`. */
export function identifier(description: string) {
  return described(
    z
      .string()
      .check(
        z.minLength(1, { error: 'must not be empty' }),
        z.maxLength(256, { error: 'must be at most 256 characters' }),
      ),
    description,
  );
}

/** Free text (a name, a status, a carrier's wording), with example values for the docs. */
export function text(description: string, examples?: readonly string[]) {
  return described(z.string(), description, examples === undefined ? {} : { examples });
}

/** A string that matches `pattern`; the message says what is expected when it does not. */
function matching(pattern: RegExp, message: string, description: string) {
  // A refinement rather than `z.regex`, whose issue would read "must be a valid regex"; the pattern is
  // published through the metadata instead.
  return described(
    z.string().check(z.refine((value: string) => pattern.test(value), { error: message })),
    description,
    { pattern: pattern.source },
  );
}

/**
 * A sum of money as a decimal string in the currency's major unit, e.g. `"12.50"`: exact (no binary floating
 * point on either side) and correct for currencies with 0, 2 or 3 decimals without a table of minor units.
 */
export function amount(description: string) {
  return matching(
    /^-?\d{1,15}(\.\d{1,6})?$/,
    'must be a decimal number as a string, e.g. "12.50"',
    description,
  );
}

/** A three-letter ISO 4217 currency code. */
export function currency(description: string) {
  return matching(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 currency code, e.g. USD', description);
}

/** A two-letter ISO 3166-1 country code. */
export function country(description: string) {
  return matching(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166-1 country code, e.g. US', description);
}

/** An ISO 8601 date-time with an offset, e.g. `2026-11-27T10:15:00Z`. */
export function timestamp(description: string) {
  return described(z.iso.datetime({ offset: true }), description);
}

/** A whole number, zero or more (a quantity). */
export function count(description: string) {
  return described(
    z.number().check(
      z.refine((value: number) => Number.isInteger(value), { error: 'must be a whole number' }),
      z.nonnegative({ error: 'must be zero or more' }),
    ),
    description,
    { type: 'integer' },
  );
}

/** A physical measure, zero or more (a weight, a length). */
export function measure(description: string) {
  return described(z.number().check(z.nonnegative({ error: 'must be zero or more' })), description);
}

/** One of a fixed set of values (units); anything else is reported with the allowed values. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return described(z.enum(values, { error: `must be one of ${values.join(', ')}` }), description);
}

/** A list of values. */
export function list<T extends z.ZodMiniType>(item: T, description: string) {
  return described(z.array(item), description);
}

/** An object whose listed fields are typed and which may carry more fields than these. */
export function record<T extends z.core.$ZodLooseShape>(shape: T, description: string) {
  return described(z.looseObject(shape), description);
}
