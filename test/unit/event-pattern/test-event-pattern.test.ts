import { describe, expect, it } from 'vitest';
import { EventBridgeApiError, testEventPattern } from '#sandbox/eventbridge/test-event-pattern.ts';

// Source: EventBridge API reference, TestEventPattern (request members, errors), and AWS's own answers
// recorded in LocalStack's AWS-validated suite (required fields, "Parameter Event is not valid.").

const event = {
  id: '1',
  source: 'order',
  'detail-type': 'Test',
  account: '123456789012',
  region: 'us-east-1',
  time: '2024-07-11T13:55:39Z',
  resources: [],
  detail: { status: 'Shipped' },
};

function apiError(input: unknown): EventBridgeApiError {
  try {
    testEventPattern(input);
  } catch (error) {
    if (error instanceof EventBridgeApiError) return error;
    throw error;
  }
  throw new Error('request was accepted');
}

describe('TestEventPattern API reference: response', () => {
  it('answers Result true when the event matches', () => {
    const result = testEventPattern({
      Event: JSON.stringify(event),
      EventPattern: JSON.stringify({ source: ['order'], 'detail-type': ['Test'] }),
    });
    expect(result).toEqual({ Result: true });
  });

  it('answers Result false when it does not', () => {
    const result = testEventPattern({
      Event: JSON.stringify(event),
      EventPattern: JSON.stringify({ source: ['shipment'], 'detail-type': ['Test'] }),
    });
    expect(result).toEqual({ Result: false });
  });

  it('does not require resources, nor an account equal to the caller’s (AWS-recorded)', () => {
    const { resources: _omitted, ...withoutResources } = event;
    const result = testEventPattern({
      Event: JSON.stringify({ ...withoutResources, account: '000000000000' }),
      EventPattern: '{"detail":{"status":["Shipped"]}}',
    });
    expect(result).toEqual({ Result: true });
  });
});

describe('TestEventPattern API reference: request validation', () => {
  it.each(['id', 'account', 'source', 'time', 'region', 'detail-type'])(
    'requires the event field %s',
    (field) => {
      const incomplete: Record<string, unknown> = { ...event };
      delete incomplete[field];
      const error = apiError({ Event: JSON.stringify(incomplete), EventPattern: '{"source":["order"]}' });
      expect({ code: error.code, message: error.message, statusCode: error.statusCode }).toEqual({
        code: 'ValidationException',
        message: 'Parameter Event is not valid.',
        statusCode: 400,
      });
    },
  );

  it.each(['plain string', '["an", "array"]', '{"unterminated": '])(
    'refuses an event that is not a JSON object: %s',
    (text) => {
      const error = apiError({ Event: text, EventPattern: '{"source":["order"]}' });
      expect([error.code, error.message]).toEqual(['ValidationException', 'Parameter Event is not valid.']);
    },
  );

  it('requires both members', () => {
    const error = apiError({});
    expect([error.code, error.message]).toEqual([
      'ValidationException',
      "2 validation errors detected: Value null at 'event' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'eventPattern' failed to satisfy constraint: Member must not be null",
    ]);
  });

  it('limits EventPattern to 4096 characters', () => {
    const pattern = `{"source":["${'a'.repeat(4096)}"]}`;
    const error = apiError({ Event: JSON.stringify(event), EventPattern: pattern });
    expect(error.code).toBe('ValidationException');
    expect(error.message).toContain('Member must have length less than or equal to 4096');
  });

  it('accepts patterns longer than the 2048 rule quota', () => {
    const pattern = `{"source":["${'a'.repeat(3000)}"]}`;
    expect(testEventPattern({ Event: JSON.stringify(event), EventPattern: pattern })).toEqual({
      Result: false,
    });
  });
});

describe('TestEventPattern API reference: InvalidEventPatternException', () => {
  it('refuses an invalid pattern with AWS’s message', () => {
    const error = apiError({ Event: JSON.stringify(event), EventPattern: '{"int": 42}' });
    expect({
      name: error.name,
      code: error.code,
      message: error.message,
      statusCode: error.statusCode,
    }).toEqual({
      name: 'EventBridgeApiError',
      code: 'InvalidEventPatternException',
      message:
        'Event pattern is not valid. Reason: "int" must be an object or an array\n at [Source: (String)"{"int": 42}"; line: 1, column: 11]',
      statusCode: 400,
    });
  });

  it('refuses invalid JSON in the pattern', () => {
    const error = apiError({ Event: JSON.stringify(event), EventPattern: "{'bad': 'quotation'}" });
    expect(error.code).toBe('InvalidEventPatternException');
    expect(error.message).toBe(
      "Event pattern is not valid. Reason: Unexpected character (''' (code 39)): was expecting double-quote to start field name\n at [Source: (String)\"{'bad': 'quotation'}\"; line: 1, column: 2]",
    );
  });
});
