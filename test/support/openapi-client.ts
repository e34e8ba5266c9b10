import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as z from 'zod/mini';
import { type DeclaredAnswer, type Operation, operationsOf, type Schema } from './openapi-operations.ts';

export type Scalar = string | number | boolean;

/** What a call sends, by where the document puts each parameter. */
export interface OperationRequest {
  readonly path?: Readonly<Record<string, Scalar>>;
  readonly query?: Readonly<Record<string, Scalar | readonly Scalar[]>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface CallOptions {
  /**
   * Send the request even where it breaks the document (an unknown or out-of-range parameter, a body without a
   * required field, an `Authorization` header of the test's own), to see how the server refuses it. The answer
   * is checked all the same.
   */
  readonly unchecked?: boolean;
}

/** An answer that the document declares: its status, its headers (lower-case names), its body (parsed JSON). */
export interface Answer<Body = unknown> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
}

/** The account's API user and API key, sent as HTTP Basic credentials. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** A request that the document does not allow: nothing was sent. */
export class UndocumentedRequest extends Error {
  override readonly name = 'UndocumentedRequest';
  constructor(
    readonly operationId: string,
    readonly problems: readonly string[],
  ) {
    super(`${operationId}: ${problems.join('; ')}`);
  }
}

/** An answer that the document does not declare: an undeclared status, or a body or header off its schema. */
export class UndocumentedAnswer extends Error {
  override readonly name = 'UndocumentedAnswer';
  constructor(
    readonly operationId: string,
    readonly problems: readonly string[],
    readonly answer: Answer,
  ) {
    super(`${operationId} answered ${answer.status}: ${problems.join('; ')}\n${JSON.stringify(answer.body)}`);
  }
}

const dateTime = z.iso.datetime({ offset: true });

function schemaChecker(dialect: Operation['dialect']) {
  // Documents carry keywords that are not JSON Schema (example, xml, x-...): not strict.
  const options = { strict: false, allErrors: true } as const;
  const ajv = dialect === '2020-12' ? new Ajv2020(options) : new Ajv(options);
  ajv.addFormat('date-time', (value: string) => z.safeParse(dateTime, value).success);
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: Number.isInteger });
  const compiled = new Map<Schema, ValidateFunction>();
  return (schema: Schema, value: unknown, what: string): string[] => {
    const validate = compiled.get(schema) ?? ajv.compile(schema);
    compiled.set(schema, validate);
    return validate(value) ? [] : [ajv.errorsText(validate.errors, { dataVar: what, separator: `; ` })];
  };
}

/**
 * Reads an OpenAPI document (Swagger 2.0 or OpenAPI 3.x), checking it with `@readme/openapi-parser` and
 * resolving its `$ref`s, and makes clients that know nothing but that document: `call(operationId, request)`
 * checks the request against the operation's parameters and body schema (an unknown parameter, a missing
 * required one, a value off its schema throw {@link UndocumentedRequest} before anything is sent), sends it to
 * the origin plus the document's base path with HTTP Basic credentials when the operation's security asks for
 * them, and checks the answer: a status the operation declares, the declared media type, the JSON body against
 * the declared schema (ajv), declared headers against their schemas. Anything else throws
 * {@link UndocumentedAnswer}.
 */
export async function loadOpenApi(document: unknown) {
  const operations = await operationsOf(document);
  const checkers = new Map<Operation['dialect'], ReturnType<typeof schemaChecker>>();
  const check = (operation: Operation, schema: Schema, value: unknown, what: string) => {
    const checker = checkers.get(operation.dialect) ?? schemaChecker(operation.dialect);
    checkers.set(operation.dialect, checker);
    return checker(schema, value, what);
  };

  function operationOf(operationId: string): Operation {
    const operation = operations.get(operationId);
    if (operation === undefined) throw new UndocumentedRequest(operationId, ['no such operation']);
    return operation;
  }

  return {
    operationIds: [...operations.keys()],
    /** A client for the server at `origin` (scheme, host, port; the document's base path is added). */
    client(origin: string, credentials?: Credentials) {
      return {
        /**
         * Calls an operation and answers what the server answered, once checked against the document. `Body`
         * is the caller's reading of the declared schema the body has been checked against.
         */
        async call<Body = unknown>(
          operationId: string,
          request: OperationRequest = {},
          options: CallOptions = {},
        ): Promise<Answer<Body>> {
          const operation = operationOf(operationId);
          const problems = requestProblems(operation, request, check);
          if (operation.basic === 'unsupported' && request.headers?.authorization === undefined) {
            problems.push('its security needs a scheme other than HTTP Basic');
          }
          if (problems.length > 0 && !options.unchecked) throw new UndocumentedRequest(operationId, problems);
          const answer = await send(origin, operation, request, credentials);
          const answerProblems = answerChecks(operation, answer, check);
          if (answerProblems.length > 0) throw new UndocumentedAnswer(operationId, answerProblems, answer);
          return answer as Answer<Body>;
        },
      };
    },
  };
}

export type OpenApiReference = Awaited<ReturnType<typeof loadOpenApi>>;
export type OpenApiClient = ReturnType<OpenApiReference['client']>;

type Check = (operation: Operation, schema: Schema, value: unknown, what: string) => string[];

function requestProblems(operation: Operation, request: OperationRequest, check: Check): string[] {
  const problems: string[] = [];
  const given: Record<'path' | 'query' | 'header', Readonly<Record<string, unknown>>> = {
    path: request.path ?? {},
    query: request.query ?? {},
    header: Object.fromEntries(Object.entries(request.headers ?? {}).map(([n, v]) => [n.toLowerCase(), v])),
  };
  for (const location of ['path', 'query', 'header'] as const) {
    const declared = operation.parameters.filter((parameter) => parameter.in === location);
    const known = new Set(declared.map(({ name }) => (location === 'header' ? name.toLowerCase() : name)));
    for (const name of Object.keys(given[location])) {
      if (!known.has(name)) problems.push(`unknown ${location} parameter ${name}`);
    }
    for (const parameter of declared) {
      const value = given[location][location === 'header' ? parameter.name.toLowerCase() : parameter.name];
      if (value === undefined) {
        if (parameter.required) problems.push(`missing required ${location} parameter ${parameter.name}`);
        continue;
      }
      problems.push(...check(operation, parameter.schema, value, `${location} parameter ${parameter.name}`));
    }
  }
  if (operation.body === undefined) {
    if (request.body !== undefined) problems.push('a body, which the operation does not take');
  } else if (request.body === undefined) {
    if (operation.body.required) problems.push('no body, which the operation requires');
  } else {
    problems.push(...check(operation, operation.body.schema, request.body, 'body'));
  }
  return problems;
}

async function send(
  origin: string,
  operation: Operation,
  request: OperationRequest,
  credentials: Credentials | undefined,
): Promise<Answer> {
  const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = request.path?.[name];
    if (value === undefined) throw new UndocumentedRequest(operation.operationId, [`no value for {${name}}`]);
    return encodeURIComponent(String(value));
  });
  const url = new URL(path, origin);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    const repeated = operation.parameters.find((p) => p.in === 'query' && p.name === name)?.repeated ?? true;
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    if (repeated) for (const one of values) url.searchParams.append(name, one);
    else url.searchParams.append(name, values.join(','));
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (operation.basic === 'send' && credentials !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
  }
  if (request.body !== undefined) headers['content-type'] = operation.body?.mediaType ?? 'application/json';
  Object.assign(headers, request.headers);
  const response = await fetch(url, {
    method: operation.method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    redirect: 'manual',
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  const answerHeaders = Object.fromEntries(response.headers);
  let body: unknown = text === '' ? undefined : text;
  if (text !== '' && isJson(answerHeaders['content-type'])) {
    try {
      body = JSON.parse(text);
    } catch {
      // Left as text: the check says the declared JSON body is not JSON.
    }
  }
  return { status: response.status, headers: answerHeaders, body };
}

function answerChecks(operation: Operation, answer: Answer, check: Check): string[] {
  const declared = declaredAnswer(operation, answer.status);
  if (declared === undefined) {
    return [
      `status ${answer.status}, which it does not declare (${[...operation.answers.keys()].join(', ')})`,
    ];
  }
  const problems: string[] = [];
  if (declared.schema !== undefined) {
    const contentType = answer.headers['content-type'] ?? '';
    if (!declared.mediaTypes.some((mediaType) => mediaTypeMatches(mediaType, contentType))) {
      problems.push(`content-type ${contentType || '(none)'}, not ${declared.mediaTypes.join(' or ')}`);
    } else if (isJson(contentType) && typeof answer.body === 'string') {
      problems.push('a body that is not JSON');
    } else {
      problems.push(...check(operation, declared.schema, answer.body, 'body'));
    }
  }
  for (const [name, schema] of declared.headers) {
    const value = answer.headers[name];
    if (value !== undefined)
      problems.push(...check(operation, schema, headerValue(value, schema), `header ${name}`));
  }
  return problems;
}

function declaredAnswer(operation: Operation, status: number): DeclaredAnswer | undefined {
  const range = [...operation.answers.keys()].find(
    (key) => key.toUpperCase() === `${Math.floor(status / 100)}XX`,
  );
  return (
    operation.answers.get(String(status)) ??
    (range === undefined ? undefined : operation.answers.get(range)) ??
    operation.answers.get('default')
  );
}

/** A header's text read as its schema's type, so `X-Total-Count: 12` checks as an integer. */
function headerValue(value: string, schema: Schema): unknown {
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(value))
    return Number(value);
  if (schema.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function mediaTypeMatches(declared: string, contentType: string): boolean {
  const actual = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const [type, subtype] = declared.toLowerCase().split('/');
  return (
    declared === '*/*' ||
    actual === declared.toLowerCase() ||
    (subtype === '*' && actual.startsWith(`${type}/`))
  );
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType ?? '');
}
