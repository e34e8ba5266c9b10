import * as z from 'zod/mini';
import { type FieldError, problems } from './problem.ts';

type Issue = z.core.$ZodIssue;

function messageOf(issue: Issue, input: unknown): string {
  if (issue.code === 'invalid_type') {
    return input === undefined
      ? 'is required'
      : `must be ${issue.expected === 'array' ? 'an array' : `a ${issue.expected}`}`;
  }
  if (issue.code === 'invalid_format') return `must be a valid ${issue.format}`;
  return issue.message;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The wrong fields of a zod failure, each named by its dotted path (`events.0`, `metadata.team`). */
export function fieldErrors(error: z.core.$ZodError, input: unknown): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || 'body',
    message: messageOf(issue, valueAt(input, issue.path)),
  }));
}

/** Parses a request body with a schema, or throws a 422 problem that names every wrong field. */
export function parseRequest<T extends z.ZodMiniType>(schema: T, input: unknown): z.infer<T> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw problems.validation([{ field: 'body', message: 'must be a JSON object' }]);
  }
  const result = z.safeParse(schema, input);
  if (!result.success) throw problems.validation(fieldErrors(result.error, input));
  return result.data;
}
