import { describe, expect, it } from 'vitest';
import { contentFilterProblem } from '#core/subscriptions/content-filter.ts';
import { ApiError } from '../../../portal/src/api.ts';
import {
  bodyOf,
  createAttempt,
  emptyValues,
  errorsFrom,
  eventGroups,
  failureOf,
  formTitle,
  jwtKeyField,
  parsed,
  payloadFormats,
  rateLimitOf,
  savedEvents,
  saveOf,
  summaryLine,
  summaryOf,
  toggled,
  type Values,
  valuesOf,
} from '../../../portal/src/pages/form/model.ts';
import { subscriptionView } from '../../support/portal-views.ts';

const typed: Values = {
  name: 'Orders',
  description: '',
  url: '  https://example.com/webhooks  ',
  events: ['order.created'],
  filter: '',
  format: 'json',
  jwt_key: '',
  ordering: 'none',
  headers: '',
  rate_limit: '',
};

const saved = valuesOf(
  subscriptionView({
    name: 'Orders',
    description: 'To the warehouse',
    url: 'https://example.com/webhooks',
    events: ['order.created', 'shipment.*'],
    filter: { data: { status: ['Shipped'] } },
    format: 'xml',
    headers: { 'X-Team': 'fulfilment', 'X-Region': 'eu' },
    rate_limit: 50,
    ordering: 'resource',
  }),
);

describe('the subscription form’s model: what it shows', () => {
  it('shows a saved subscription’s filter as indented JSON and its headers one a line', () => {
    expect(saved).toEqual({
      name: 'Orders',
      description: 'To the warehouse',
      url: 'https://example.com/webhooks',
      events: ['order.created', 'shipment.*'],
      filter: '{\n  "data": {\n    "status": [\n      "Shipped"\n    ]\n  }\n}',
      format: 'xml',
      jwt_key: '',
      ordering: 'resource',
      headers: 'X-Team: fulfilment\nX-Region: eu',
      rate_limit: '50',
    });
  });

  it('shows a subscription without description, filter, headers or rate limit as empty fields', () => {
    expect(
      valuesOf(subscriptionView({ name: 'Bare', url: 'https://example.com/a', events: ['order.*'] })),
    ).toEqual({
      ...emptyValues,
      name: 'Bare',
      url: 'https://example.com/a',
      events: ['order.*'],
    });
  });

  it('titles a new subscription’s page, and an edit by the subscription’s name once it is read', () => {
    expect(formTitle(false, undefined)).toBe('New subscription');
    expect(formTitle(true, undefined)).toBe('Edit subscription');
    expect(formTitle(true, saved)).toBe('Edit Orders');
  });

  it('groups the catalog’s event types by resource, in the catalog’s order', () => {
    const catalog = [
      { type: 'order.created', description: 'An order was placed' },
      { type: 'shipment.shipped', description: 'A shipment left' },
      { type: 'order.cancelled', description: 'An order was cancelled' },
    ];

    expect(eventGroups(catalog)).toEqual([
      { resource: 'order', types: [catalog[0], catalog[2]] },
      { resource: 'shipment', types: [catalog[1]] },
    ]);
  });

  it('ticks and unticks an event type', () => {
    expect(toggled(['order.created'], 'order.*', true)).toEqual(['order.created', 'order.*']);
    expect(toggled(['order.created', 'order.*'], 'order.*', false)).toEqual(['order.created']);
  });
});

describe('the subscription form’s model: what it reads', () => {
  it('reads a content filter as JSON, and says why one is not', () => {
    expect(parsed({ ...typed, filter: '{"data": {"status": ["Shipped"]}}' })).toEqual({
      filter: { data: { status: ['Shipped'] } },
      errors: {},
    });
    expect(parsed({ ...typed, filter: '{"data": ' }).errors.filter).toEqual([
      expect.stringMatching(/^is not valid JSON \(.+\)$/),
    ]);
  });

  it('reads no filter from a blank one', () => {
    expect(parsed({ ...typed, filter: '  \n ' })).toEqual({ errors: {} });
  });

  it('reads each non-blank header line as Name: value, trimmed, the value keeping its own colons', () => {
    expect(
      parsed({ ...typed, headers: ' X-Team : fulfilment \n\nX-Callback: https://example.com:8443/a\n' }),
    ).toEqual({
      headers: { 'X-Team': 'fulfilment', 'X-Callback': 'https://example.com:8443/a' },
      errors: {},
    });
  });

  it('names each header line without a name before its colon, counting only lines written', () => {
    const read = parsed({ ...typed, headers: 'X-Team: fulfilment\n\nno colon here\n: no name' });

    expect(read.errors.headers).toEqual([
      'line 2: write it as Name: value',
      'line 3: write it as Name: value',
    ]);
    expect(read.headers).toEqual({ 'X-Team': 'fulfilment' });
  });

  it('saves a wildcard without the types it covers, and each type once', () => {
    expect(
      savedEvents(['order.created', 'order.*', 'shipment.shipped', 'order.created', 'shipment.shipped']),
    ).toEqual(['order.*', 'shipment.shipped']);
  });
});

describe('the subscription form’s model: what it sends', () => {
  it('creates with the fields filled in only, the URL trimmed', () => {
    expect(bodyOf(typed, undefined, undefined, undefined)).toEqual({
      name: 'Orders',
      url: 'https://example.com/webhooks',
      events: ['order.created'],
      format: 'json',
      ordering: 'none',
    });
  });

  it('creates with a filter and headers as read, and a description as typed', () => {
    const values = { ...typed, description: ' Night shift ', filter: '{"a": [1]}', headers: 'X-A: 1' };
    const read = parsed(values);

    expect(bodyOf(values, undefined, read.filter, read.headers)).toEqual({
      name: 'Orders',
      description: ' Night shift ',
      url: 'https://example.com/webhooks',
      events: ['order.created'],
      filter: { a: [1] },
      format: 'json',
      ordering: 'none',
      headers: { 'X-A': '1' },
    });
  });

  it('creates with a rate limit as a number, and without one when the field is blank', () => {
    expect(bodyOf({ ...typed, rate_limit: ' 020 ' }, undefined, undefined, undefined)).toMatchObject({
      rate_limit: 20,
    });
    expect(bodyOf({ ...typed, rate_limit: '  ' }, undefined, undefined, undefined)).not.toHaveProperty(
      'rate_limit',
    );
  });

  it('sends a rate limit that is not digits as typed, for the API to say what it must be', () => {
    expect(rateLimitOf('1.5')).toBe('1.5');
    expect(rateLimitOf('ten')).toBe('ten');
    expect(rateLimitOf('-3')).toBe('-3');
    expect(rateLimitOf('10000')).toBe(10_000);
    expect(rateLimitOf('')).toBeNull();
  });

  it('sets, changes and clears the rate limit of an edit, and leaves it out when it is the same', () => {
    const unlimited = { ...saved, rate_limit: '' };

    expect(saveOf({ ...unlimited, rate_limit: '25' }, unlimited).body).toEqual({ rate_limit: 25 });
    expect(saveOf({ ...saved, rate_limit: '75' }, saved).body).toEqual({ rate_limit: 75 });
    expect(saveOf({ ...saved, rate_limit: '' }, saved).body).toEqual({ rate_limit: null });
    expect(saveOf({ ...saved, rate_limit: ' 50 ' }, saved)).toMatchObject({ body: {}, changesNothing: true });
  });

  it('creates an ordered subscription, and sets or takes back an edit’s ordering only when it changes', () => {
    const unordered = { ...saved, ordering: 'none' as const };

    expect(bodyOf({ ...typed, ordering: 'resource' }, undefined, undefined, undefined)).toMatchObject({
      ordering: 'resource',
    });
    expect(saveOf({ ...unordered, ordering: 'resource' }, unordered).body).toEqual({ ordering: 'resource' });
    expect(saveOf({ ...saved, ordering: 'none' }, saved).body).toEqual({ ordering: 'none' });
    expect(saveOf(saved, saved)).toMatchObject({ body: {}, changesNothing: true });
  });

  it('sends an edit’s changes only, and null for an optional field emptied', () => {
    const values = {
      ...saved,
      url: 'https://example.com/v2 ',
      description: '',
      headers: '',
      format: 'json' as const,
    };

    expect(saveOf(values, saved)).toEqual({
      body: { url: 'https://example.com/v2', description: null, headers: null, format: 'json' },
      unread: {},
      changesNothing: false,
    });
  });

  it('changes nothing with a filter only reformatted, or a type ticked that a wildcard already covers', () => {
    const values = {
      ...saved,
      filter: '{"data":{"status":["Shipped"]}}',
      events: [...saved.events, 'shipment.shipped'],
    };

    expect(saveOf(values, saved)).toEqual({ body: {}, unread: {}, changesNothing: true });
  });

  it('never calls a create empty', () => {
    expect(saveOf(emptyValues, undefined).changesNothing).toBe(false);
  });

  it('sends what it cannot read as typed, so that the API checks every other field, with its own reasons', () => {
    const values = { ...typed, filter: '{"data": ', headers: 'no colon' };

    const save = saveOf(values, undefined);

    expect(save.body).toMatchObject({ filter: '{"data": ', headers: 'no colon' });
    expect(Object.keys(save.unread)).toEqual(['filter', 'headers']);
  });

  it('sends the same Idempotency-Key again with the same body, and a new one with another', () => {
    let made = 0;
    const newKey = () => `key-${++made}`;

    const first = createAttempt(undefined, { name: 'Orders' }, newKey);
    const again = createAttempt(first, { name: 'Orders' }, newKey);
    const changed = createAttempt(again, { name: 'Orders 2' }, newKey);

    expect(first).toEqual({ body: '{"name":"Orders"}', key: 'key-1' });
    expect(again.key).toBe('key-1');
    expect(changed).toEqual({ body: '{"name":"Orders 2"}', key: 'key-2' });
  });
});

describe('the subscription form’s model: what a refusal shows', () => {
  it('puts each of the API’s errors by its field, named within it; others on the form', () => {
    expect(
      errorsFrom([
        { field: 'url', message: 'must use https' },
        { field: 'headers.X-Team', message: 'is not a valid header name' },
        { field: 'filter.data.status', message: 'must be an array' },
        { field: 'metadata.team', message: 'is too long' },
        { field: 'body', message: 'is not JSON' },
        { field: 'url', message: 'must not point to a private address' },
        { field: 'rate_limit', message: 'must be a whole number' },
      ]),
    ).toEqual({
      url: ['must use https', 'must not point to a private address'],
      rate_limit: ['must be a whole number'],
      headers: ['X-Team: is not a valid header name'],
      filter: ['data.status: must be an array'],
      form: ['metadata.team: is too long', 'is not JSON'],
    });
  });

  it('leaves out the parser’s location that ends a content filter’s refusal, keeping its reason', () => {
    // The platform's own words for a filter it refuses, location and all (`...; line: 1, column: 20]`).
    const refused = contentFilterProblem({ data: { status: 'x' } }) ?? '';
    const reason = 'Event pattern is not valid. Reason: "status" must be an object or an array';
    expect(refused).toMatch(
      /^Event pattern is not valid\. Reason: .+\n at \[Source: \(String\).+; line: 1, column: 20\]$/,
    );

    expect(
      errorsFrom([
        { field: 'filter', message: refused },
        {
          field: 'filter.data',
          message: `${reason} at [Source: (String)"{]"[truncated 3 chars]; line: 2, column: 1]`,
        },
        { field: 'filter', message: 'must be an object' },
      ]),
    ).toEqual({ filter: [reason, `data: ${reason}`, 'must be an object'] });
  });

  it('shows a 422’s field errors beside the portal’s own, which say better what it could not read', () => {
    const refused = new ApiError(422, 'validation', 'The request is not valid.', [
      { field: 'name', message: 'is required' },
      { field: 'filter', message: 'must be an object' },
    ]);

    expect(failureOf(refused, { filter: ['is not valid JSON (x)'] })).toEqual({
      errors: { name: ['is required'], filter: ['is not valid JSON (x)'] },
      stale: false,
    });
  });

  it('offers a reload when the subscription changed since the form opened (412)', () => {
    const changed = new ApiError(412, 'precondition-failed', 'The subscription changed since you read it.', [
      { field: 'if-match', message: 'does not match' },
    ]);

    expect(failureOf(changed, {})).toEqual({
      errors: { form: ['The subscription changed since you read it.'] },
      stale: true,
    });
  });

  it('shows a failure without field errors, or one of the portal itself, on the form', () => {
    const offline = new ApiError(
      0,
      'network',
      'The API could not be reached. Check your connection and try again.',
    );

    expect(failureOf(offline, {}).errors).toEqual({
      form: ['The API could not be reached. Check your connection and try again.'],
    });
    expect(failureOf(new TypeError('x is undefined'), {}).errors).toEqual({
      form: ['Something went wrong in the portal. Reload the page.'],
    });
  });

  it('lists the form’s errors first, then each field’s in the form’s order, each on one line', () => {
    const listed = summaryOf({ headers: ['line 1: bad'], form: ['is not JSON'], name: ['is required'] });

    expect(listed).toEqual([
      { field: undefined, message: 'is not JSON' },
      { field: 'name', message: 'is required' },
      { field: 'headers', message: 'line 1: bad' },
    ]);
    expect(summaryLine('filter', 'must match\n   a known pattern')).toBe(
      'Content filter: must match a known pattern',
    );
    expect(summaryLine('rate_limit', 'must be 1 to 10000')).toBe('Rate limit: must be 1 to 10000');
  });
});

describe('the subscription form’s model: the JWT (Shipmondo) format', () => {
  const key = 'k'.repeat(40);
  const jwtSaved = valuesOf(
    subscriptionView({
      name: 'Shipmondo orders',
      format: 'jwt',
      compatible_id: 7,
      events: ['order.created'],
    }),
  );

  it('offers JSON, XML and JWT (Shipmondo), every format the API takes', () => {
    expect(payloadFormats).toEqual(['json', 'xml', 'jwt']);
  });

  it('shows a jwt subscription’s key field empty: the API never shows the key', () => {
    expect(jwtSaved).toMatchObject({ format: 'jwt', jwt_key: '' });
  });

  it('asks for a key only for the jwt format: required when creating, with the verification request said', () => {
    expect(jwtKeyField(typed, undefined)).toBeUndefined();
    expect(jwtKeyField({ ...typed, format: 'jwt' }, undefined)).toEqual({
      required: true,
      hint: expect.stringMatching(
        /at least 32 bytes.*verification request signed with it and must answer 200/,
      ),
    });
  });

  it('requires a key for a subscription an edit turns into jwt, whose endpoint is verified then too', () => {
    const field = jwtKeyField({ ...saved, format: 'jwt' }, saved);

    expect(field?.required).toBe(true);
    expect(field?.hint).toMatch(/at least 32 bytes.*verification request signed with it/);
  });

  it('lets an edit of a jwt subscription keep its key with the field left empty', () => {
    expect(jwtKeyField(jwtSaved, jwtSaved)).toEqual({
      required: false,
      hint: expect.stringMatching(/^Leave it empty to keep the current key/),
    });
  });

  it('creates a jwt subscription with the key as typed, spaces and all', () => {
    const spaced = ` ${key} `;

    expect(saveOf({ ...typed, format: 'jwt', jwt_key: spaced }, undefined).body).toEqual({
      name: 'Orders',
      url: 'https://example.com/webhooks',
      events: ['order.created'],
      format: 'jwt',
      jwt_key: spaced,
      ordering: 'none',
    });
  });

  it('creates a jwt subscription without a key when none is typed, for the API to say it is required', () => {
    expect(saveOf({ ...typed, format: 'jwt' }, undefined).body).not.toHaveProperty('jwt_key');
  });

  it('leaves a jwt subscription’s key alone unless a new one is typed', () => {
    expect(saveOf({ ...jwtSaved, name: 'Renamed' }, jwtSaved).body).toEqual({ name: 'Renamed' });
    expect(saveOf(jwtSaved, jwtSaved)).toMatchObject({ body: {}, changesNothing: true });
    expect(saveOf({ ...jwtSaved, jwt_key: key }, jwtSaved)).toMatchObject({
      body: { jwt_key: key },
      changesNothing: false,
    });
  });

  it('sends the format and the key of a subscription an edit turns into jwt', () => {
    expect(saveOf({ ...saved, format: 'jwt', jwt_key: key }, saved).body).toEqual({
      format: 'jwt',
      jwt_key: key,
    });
  });

  it('sends no key when the format is switched away from jwt, even one typed before the switch', () => {
    expect(saveOf({ ...jwtSaved, format: 'json', jwt_key: key }, jwtSaved).body).toEqual({ format: 'json' });
    expect(saveOf({ ...typed, format: 'xml', jwt_key: key }, undefined).body).not.toHaveProperty('jwt_key');
  });

  it('puts the API’s errors about the key by its field, and a failed verification request by the URL', () => {
    const refused = new ApiError(422, 'validation', 'The request is not valid.', [
      {
        field: 'jwt_key',
        message: 'must be at least 32 bytes (HS256 wants a key as long as its hash, RFC 7518)',
      },
      {
        field: 'url',
        message:
          'did not take the verification request: the endpoint answered HTTP 500; it must answer 200 (any 2xx) within 5 s',
      },
    ]);

    const { errors } = failureOf(refused, {});

    expect(errors).toEqual({
      jwt_key: ['must be at least 32 bytes (HS256 wants a key as long as its hash, RFC 7518)'],
      url: [
        'did not take the verification request: the endpoint answered HTTP 500; it must answer 200 (any 2xx) within 5 s',
      ],
    });
    expect(summaryOf(errors).map(({ field }) => field)).toEqual(['url', 'jwt_key']);
    expect(summaryLine('jwt_key', 'is only for format jwt')).toBe('JWT key: is only for format jwt');
  });
});
