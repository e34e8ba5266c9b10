import type * as z from 'zod/mini';

/** One wrong field of an input, e.g. `{ field: 'url', message: 'must be an absolute URL' }`. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

type Issue = z.core.$ZodIssue;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A dotted path; a client's own keys in it are cut at 100 characters, so an error never echoes a huge key. */
const fieldName = (path: readonly PropertyKey[]) => path.map((key) => String(key).slice(0, 100)).join('.');

function errorsOf(issue: Issue, input: unknown): FieldError[] {
  const field = fieldName(issue.path) || 'body';
  switch (issue.code) {
    case 'invalid_type': {
      const value = valueAt(input, issue.path);
      const expected =
        issue.expected === 'array' || issue.expected === 'object' || issue.expected === 'record'
          ? `an ${issue.expected === 'record' ? 'object' : issue.expected}`
          : `a ${issue.expected}`;
      return [{ field, message: value === undefined ? 'is required' : `must be ${expected}` }];
    }
    case 'invalid_format':
      return [
        {
          field,
          message: `must be a valid ${issue.format === 'datetime' ? 'ISO 8601 date-time with an offset (e.g. 2026-11-27T10:15:00Z)' : issue.format}`,
        },
      ];
    case 'invalid_key':
      // A record's key that fails its own checks: say what the key's check says.
      return [{ field, message: `the key ${issue.issues[0]?.message ?? 'is not valid'}` }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        field: fieldName([...issue.path, key]),
        message: 'is not a known field',
      }));
    default:
      return [{ field, message: issue.message }];
  }
}

/**
 * The wrong fields of a zod failure, each named by its dotted path (`events.0`, `detail.account_id`), with a
 * message a person can act on.
 */
export function fieldErrors(error: z.core.$ZodError, input: unknown): FieldError[] {
  return error.issues.flatMap((issue) => errorsOf(issue, input));
}
