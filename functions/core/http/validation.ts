import * as z from 'zod/mini';
import { fieldErrors } from '../field-errors.ts';
import { problems } from './problem.ts';

/** Parses a request body with a schema, or throws a 422 problem that names every wrong field. */
export function parseRequest<T extends z.ZodMiniType>(schema: T, input: unknown): z.infer<T> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw problems.validation([{ field: 'body', message: 'must be a JSON object' }]);
  }
  const result = z.safeParse(schema, input);
  if (!result.success) throw problems.validation(fieldErrors(result.error, input));
  return result.data;
}
