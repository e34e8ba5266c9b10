import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { catalogRoutes } from '../../functions/api/catalog-routes.ts';
import { type WebhookRoutesDependencies, webhookRoutes } from '../../functions/api/webhook-routes.ts';
import { useApiSandbox } from '../support/api-sandbox.ts';
import { api } from '../support/clients.ts';

const { sandbox, newAccount, newReceiver } = useApiSandbox();

type OpenApi = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: object }> } } }>;
};
let document: OpenApi;
let ajv: Ajv2020;

beforeAll(async () => {
  const response = await api(sandbox().endpoint, undefined, 'GET', '/v1/openapi.json');
  document = response.json as unknown as OpenApi;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', (value: string) => z.safeParse(z.iso.datetime({ offset: true }), value).success);
  ajv.addSchema(document, 'openapi.json');
});

const methods = ['get', 'post', 'patch', 'delete', 'put'];

/** The schema an operation documents for a status and media type, to check a live answer against. */
function documentedSchema(path: string, method: string, status: number) {
  const operation = document.paths[path]?.[method];
  const response = operation?.responses[String(status)];
  const media = status >= 400 ? 'application/problem+json' : 'application/json';
  const schema = response?.content?.[media]?.schema;
  if (schema === undefined) throw new Error(`${method} ${path} documents no ${status} ${media} body`);
  return schema;
}

/** Checks a live answer against what the document says it is. */
function expectDocumented(path: string, method: string, answer: { status: number; json?: unknown }) {
  const validator = ajv.compile(rebase(documentedSchema(path, method, answer.status)));
  expect(
    validator(answer.json),
    `${method} ${path} ${answer.status}: ${ajv.errorsText(validator.errors)}`,
  ).toBe(true);
}

/** Points the document's local `$ref`s at the document added to Ajv as `openapi.json`. */
function rebase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'));
}

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document that a real validator accepts', async () => {
    const result = await validate(structuredClone(document) as never);

    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(document).toMatchObject({ openapi: '3.1.0' });
  });

  it('describes exactly the routes the API serves', () => {
    const unused = (() => {
      throw new Error('not called');
    }) as never;
    const deps = new Proxy(
      { targetPolicy: 'public-only' },
      { get: (target, key) => (key in target ? (target as never)[key] : unused) },
    );
    const served = [...webhookRoutes(deps as unknown as WebhookRoutesDependencies), ...catalogRoutes()].map(
      (route) => `${route.method} ${route.path}`,
    );
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => methods.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(documented.sort()).toEqual(served.sort());
  });

  it('tells the truth: live answers of every route and their errors match the documented schemas', async () => {
    const account = await newAccount();
    const receiver = await newReceiver();

    const created = await account.call('POST', '/v1/webhooks', {
      name: 'Documented',
      url: receiver.url,
      events: ['order.*'],
      filter: { data: { status: ['Shipped'] } },
      headers: { 'X-Team': 'ops' },
      metadata: { a: 'b' },
    });
    const id = created.json?.id as string;
    const answers: [string, string, { status: number; json?: unknown }][] = [
      ['/v1/webhooks', 'post', created],
      ['/v1/webhooks', 'post', await account.call('POST', '/v1/webhooks', { name: '' })],
      ['/v1/webhooks', 'get', await account.call('GET', '/v1/webhooks?limit=1')],
      ['/v1/webhooks', 'get', await account.call('GET', '/v1/webhooks?limit=0')],
      ['/v1/webhooks', 'get', await api(sandbox().endpoint, undefined, 'GET', '/v1/webhooks')],
      ['/v1/webhooks/{id}', 'get', await account.call('GET', `/v1/webhooks/${id}`)],
      [
        '/v1/webhooks/{id}',
        'patch',
        await account.call('PATCH', `/v1/webhooks/${id}`, { description: 'now' }),
      ],
      [
        '/v1/webhooks/{id}',
        'patch',
        await account.call('PATCH', `/v1/webhooks/${id}`, { name: 'x' }, { 'if-match': '"1"' }),
      ],
      [
        '/v1/webhooks/{id}/rotate-secret',
        'post',
        await account.call('POST', `/v1/webhooks/${id}/rotate-secret`),
      ],
      ['/v1/webhooks/{id}/test', 'post', await account.call('POST', `/v1/webhooks/${id}/test`)],
      ['/v1/event-types', 'get', await account.call('GET', '/v1/event-types')],
      [
        '/v1/webhooks/{id}',
        'delete',
        await account.call('DELETE', '/v1/webhooks/sub_01m8re8jc558cthvp60cjb7yj5'),
      ],
    ];

    for (const [path, method, answer] of answers) expectDocumented(path, method, answer);
    expect(answers.map(([, , answer]) => answer.status)).toEqual([
      201, 422, 200, 422, 401, 200, 200, 412, 200, 202, 200, 404,
    ]);
  });

  it('documents the webhooks it sends: a test event matches its schema', async () => {
    const account = await newAccount();
    const receiver = await newReceiver();
    const { id } = await account.createWebhook({ url: receiver.url });

    await account.call('POST', `/v1/webhooks/${id}/test`);
    const request = await receiver.next();
    const schema = document.webhooks['webhook.test']?.post.requestBody.content['application/json']?.schema;
    const validator = ajv.compile(rebase(schema ?? {}));

    expect(validator(JSON.parse(request.body)), ajv.errorsText(validator.errors)).toBe(true);
    expect(Object.keys(document.webhooks)).toHaveLength(16);
  });
});
