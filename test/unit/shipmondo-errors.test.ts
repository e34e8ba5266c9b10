import { describe, expect, it } from 'vitest';
import { HttpProblem, problems } from '#core/http/problem.ts';
import { InvalidSubscriptionError, SubscriptionLimitError } from '#core/subscriptions/subscription-errors.ts';
import { problemOf } from '../../functions/api/domain-problems.ts';
import { inCompatibleNames, shipmondoError } from '../../functions/api/shipmondo-errors.ts';

const challenge = { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="Hookbridge"' };
const plain = { 'content-type': 'application/json' };

/** The answer as a client reads it. */
const answered = (problem: HttpProblem) => {
  const { statusCode, headers, body } = shipmondoError(problem);
  return { statusCode, headers, body: JSON.parse(body) };
};

describe('the compatible API’s errors', () => {
  it.each([
    [
      'a refused credential',
      problems.unauthorized('The API key is not valid'),
      401,
      unauthorizedBody(),
      challenge,
    ],
    [
      'a portal token on an API-key route',
      new HttpProblem(403, 'forbidden', 'Forbidden', 'takes an API key'),
      401,
      unauthorizedBody(),
      challenge,
    ],
    [
      'an unknown path or id',
      problems.notFound('No webhook sub_1'),
      404,
      { error: 'Resource not found' },
      plain,
    ],
    [
      'wrong fields, named',
      problems.validation([
        { field: 'endpoint', message: 'must be an absolute URL' },
        { field: 'key', message: 'must not be empty' },
      ]),
      422,
      { error: 'endpoint: must be an absolute URL; key: must not be empty' },
      plain,
    ],
    [
      'a body that is not JSON',
      problems.malformedBody('Unexpected end'),
      422,
      { error: 'body: Unexpected end' },
      plain,
    ],
    [
      'the account’s limit',
      problemOf(new SubscriptionLimitError(3)) as HttpProblem,
      422,
      { error: 'An account may have at most 3 webhooks; delete one first' },
      plain,
    ],
    [
      'a change to retry',
      problems.conflict(
        'concurrent-change',
        'Webhook sub_1 was changed by other requests meanwhile; try again',
      ),
      409,
      { error: 'Webhook sub_1 was changed by other requests meanwhile; try again' },
      plain,
    ],
    ['a fault of ours', problems.internal(), 500, { error: 'Internal server error; try again later' }, plain],
  ])('answers %s as {"error"}', (_, problem, status, body, headers) => {
    expect(answered(problem)).toEqual({ statusCode: status, headers, body });
  });

  it('keeps a 405’s Allow', () => {
    expect(answered(problems.methodNotAllowed(['GET', 'PUT', 'DELETE']))).toEqual({
      statusCode: 405,
      headers: { ...plain, allow: 'GET, PUT, DELETE' },
      body: { error: 'Method not allowed; this path takes GET, PUT, DELETE' },
    });
  });

  it('says a use case’s invalid input in the compatible API’s field names', async () => {
    const failing = inCompatibleNames(async () => {
      throw new InvalidSubscriptionError([
        { field: 'url', message: 'did not take the verification request' },
        { field: 'jwt_key', message: 'must not be empty' },
        { field: 'events.0', message: 'is not an event type' },
        { field: 'name', message: 'must not be empty' },
      ]);
    });

    await expect(failing).rejects.toMatchObject({
      errors: [
        { field: 'endpoint', message: 'did not take the verification request' },
        { field: 'key', message: 'must not be empty' },
        { field: 'action', message: 'is not an event type' },
        { field: 'name', message: 'must not be empty' },
      ],
    });
  });
});

function unauthorizedBody() {
  return { error: 'Invalid API User or API Key' };
}
