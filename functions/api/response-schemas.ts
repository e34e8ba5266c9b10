import * as z from 'zod/mini';

/** The answer to `POST /v1/webhooks/{id}/test`. */
export const testEventAcceptedSchema = z.object({
  delivery_id: z.string().check(z.describe('The delivery of the test event: its webhook-id')),
  event_id: z.string().check(z.describe('The test event')),
});

/** The answer to `GET /v1/event-types`. */
export const eventTypeListSchema = z.object({
  data: z.array(
    z.object({
      type: z.string().check(z.describe('`<resource>.<action>`, e.g. order.status_updated')),
      description: z.string(),
      schema: z
        .record(z.string(), z.unknown())
        .check(z.describe('The JSON Schema (2020-12) of the webhook body')),
      example: z.record(z.string(), z.unknown()).check(z.describe('A whole webhook body of this type')),
    }),
  ),
  next_cursor: z.null(),
});
