import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '#core/http/json-body.ts';
import { HttpProblem } from '#core/http/problem.ts';

/** A body as API Gateway hands over one that is not text: its bytes, base64-encoded. */
const base64 = (...parts: (string | number[])[]) => ({
  body: Buffer.concat(parts.map((part) => Buffer.from(part))).toString('base64'),
  isBase64Encoded: true,
  contentType: 'application/json',
});

function problemOf(read: () => unknown) {
  try {
    read();
  } catch (error) {
    if (error instanceof HttpProblem) return error.toResponse();
    throw error;
  }
  throw new Error('No problem was thrown');
}

describe('parseJsonBody', () => {
  it('reads a base64-encoded body in UTF-8, whatever its characters', () => {
    expect(parseJsonBody(base64('{"name":"für 📦"}'))).toEqual({ name: 'für 📦' });
  });

  it('refuses a base64-encoded body that is not UTF-8 with a 400 naming the body, never reading it with replacement characters', () => {
    const answer = problemOf(() => parseJsonBody(base64('{"name":"f', [0xfc], 'r"}')));

    expect(answer.statusCode).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toEqual({
      type: 'urn:webhooks:problem:malformed-body',
      title: 'The body is not valid JSON',
      status: 400,
      detail: 'The body is not valid UTF-8, the only encoding JSON has (RFC 8259)',
      errors: [
        { field: 'body', message: 'The body is not valid UTF-8, the only encoding JSON has (RFC 8259)' },
      ],
    });
  });

  it('answers 415 for bytes sent as another media type before looking at their encoding', () => {
    const answer = problemOf(() =>
      parseJsonBody({ ...base64([0xff, 0xd8, 0xff]), contentType: 'application/octet-stream' }),
    );

    expect(answer.statusCode).toBe(415);
  });
});
