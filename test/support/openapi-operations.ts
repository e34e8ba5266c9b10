import { compileErrors, dereference, validate } from '@readme/openapi-parser';

/** A JSON Schema as the document declares it (already dereferenced). */
export type Schema = Record<string, unknown>;

/** A path, query or header parameter. */
export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly schema: Schema;
  /** An array goes as one `name=value` per item (Swagger's `multi`, OpenAPI 3's exploded form), else comma-joined. */
  readonly repeated: boolean;
}

/** A declared answer: its JSON body's schema (if any), the media types it may come as, its headers' schemas. */
export interface DeclaredAnswer {
  readonly schema: Schema | undefined;
  readonly mediaTypes: readonly string[];
  readonly headers: ReadonlyMap<string, Schema>;
}

/** One operation of the document, the same whatever the document's version. */
export interface Operation {
  readonly operationId: string;
  readonly method: string;
  /** The path template, after the document's base path (`/api/public/v3/webhooks/{id}`). */
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body:
    | { readonly required: boolean; readonly schema: Schema; readonly mediaType: string }
    | undefined;
  /** By status code as declared: `200`, `4XX`, `default`. */
  readonly answers: ReadonlyMap<string, DeclaredAnswer>;
  /** Whether HTTP Basic credentials are to be sent: `none` when no security applies, `unsupported` when only other schemes would do. */
  readonly basic: 'send' | 'none' | 'unsupported';
  /** Which JSON Schema dialect its schemas are in. */
  readonly dialect: 'draft-07' | '2020-12';
}

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
/** The fields of a Swagger 2.0 non-body parameter that are not JSON Schema. */
const parameterOnlyFields = new Set([
  'name',
  'in',
  'description',
  'required',
  'collectionFormat',
  'allowEmptyValue',
]);

/**
 * The operations of a Swagger 2.0 or OpenAPI 3.x document, after checking the document with
 * `@readme/openapi-parser` (an invalid document throws with its errors) and resolving every `$ref`.
 * Circular schemas are refused, since the answers are checked with ajv on the resolved schemas.
 */
export async function operationsOf(document: unknown): Promise<Map<string, Operation>> {
  if (!isRecord(document)) throw new Error('An OpenAPI document is a JSON object');
  const checked = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
  if (!checked.valid) throw new Error(`The OpenAPI document is not valid: ${compileErrors(checked)}`);
  const resolved: unknown = await dereference(
    structuredClone(document) as Parameters<typeof dereference>[0],
    {
      dereference: { circular: false },
    },
  );
  if (!isRecord(resolved)) throw new Error('The dereferenced OpenAPI document is not an object');
  const swagger = resolved.swagger === '2.0';
  const dialect = !swagger && String(resolved.openapi).startsWith('3.1') ? '2020-12' : 'draft-07';
  const basePath = swagger ? String(resolved.basePath ?? '') : serverPath(resolved.servers);
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(records(resolved.paths))) {
    for (const method of methods) {
      const operation = item[method];
      if (!isRecord(operation)) continue;
      const operationId = String(operation.operationId ?? `${method} ${path}`);
      const declared = [...list(item.parameters), ...list(operation.parameters)].filter(isRecord);
      const parameters = swagger
        ? declared.filter((p) => p.in !== 'body').map(swaggerParameter)
        : declared.map(openApiParameter);
      operations.set(operationId, {
        operationId,
        method: method.toUpperCase(),
        path: `${basePath.replace(/\/$/, '')}${path}`,
        // A later declaration of the same parameter (the operation's) wins over the path item's.
        parameters: [...new Map(parameters.map((p) => [`${p.in} ${p.name}`, p])).values()],
        body: swagger ? swaggerBody(declared, operation, resolved) : openApiBody(operation.requestBody),
        answers: new Map(
          Object.entries(records(operation.responses)).map(([status, answer]) => [
            status,
            swagger ? swaggerAnswer(answer, operation, resolved) : openApiAnswer(answer),
          ]),
        ),
        basic: basicAuth(
          operation.security ?? resolved.security,
          swagger ? resolved.securityDefinitions : record(resolved.components).securitySchemes,
        ),
        dialect,
      });
    }
  }
  return operations;
}

function swaggerParameter(parameter: Record<string, unknown>): Parameter {
  const location = parameterLocation(parameter);
  return {
    name: String(parameter.name),
    in: location,
    required: parameter.required === true,
    schema: Object.fromEntries(
      Object.entries(parameter).filter(([field]) => !parameterOnlyFields.has(field)),
    ),
    repeated: parameter.collectionFormat === 'multi',
  };
}

function openApiParameter(parameter: Record<string, unknown>): Parameter {
  const location = parameterLocation(parameter);
  const style = parameter.style ?? (location === 'query' ? 'form' : 'simple');
  return {
    name: String(parameter.name),
    in: location,
    required: parameter.required === true,
    schema: record(parameter.schema),
    repeated: style === 'form' && parameter.explode !== false,
  };
}

function parameterLocation(parameter: Record<string, unknown>): Parameter['in'] {
  if (parameter.in === 'path' || parameter.in === 'query' || parameter.in === 'header') return parameter.in;
  throw new Error(
    `Parameters in ${String(parameter.in)} (${String(parameter.name)}) are not supported by this client`,
  );
}

function swaggerBody(
  declared: Record<string, unknown>[],
  operation: Record<string, unknown>,
  document: Record<string, unknown>,
): Operation['body'] {
  const parameter = declared.find((p) => p.in === 'body');
  if (parameter === undefined) return undefined;
  return {
    required: parameter.required === true,
    schema: record(parameter.schema),
    mediaType: jsonMediaType(list(operation.consumes ?? document.consumes ?? ['application/json'])),
  };
}

function openApiBody(requestBody: unknown): Operation['body'] {
  if (!isRecord(requestBody)) return undefined;
  const content = records(requestBody.content);
  const mediaType = jsonMediaType(Object.keys(content));
  return { required: requestBody.required === true, schema: record(content[mediaType]?.schema), mediaType };
}

function swaggerAnswer(
  answer: Record<string, unknown>,
  operation: Record<string, unknown>,
  document: Record<string, unknown>,
): DeclaredAnswer {
  return {
    schema: isRecord(answer.schema) ? answer.schema : undefined,
    mediaTypes: list(operation.produces ?? document.produces ?? ['application/json']).map(String),
    headers: new Map(
      Object.entries(records(answer.headers)).map(([name, header]) => [name.toLowerCase(), header]),
    ),
  };
}

function openApiAnswer(answer: Record<string, unknown>): DeclaredAnswer {
  const content = records(answer.content);
  // The JSON media type's schema is the one checked; a document rarely gives others a different one.
  const media = content[jsonMediaTypeOrNone(Object.keys(content)) ?? Object.keys(content)[0] ?? ''];
  return {
    schema: isRecord(media?.schema) ? media.schema : undefined,
    mediaTypes: Object.keys(content),
    headers: new Map(
      Object.entries(records(answer.headers)).map(([name, header]) => [
        name.toLowerCase(),
        record(header.schema),
      ]),
    ),
  };
}

/** `send` when some alternative of the security requirement is HTTP Basic alone (or no scheme at all). */
function basicAuth(requirement: unknown, schemes: unknown): Operation['basic'] {
  const alternatives = list(requirement).filter(isRecord);
  if (alternatives.length === 0) return 'none';
  const isBasic = (name: string) => {
    const scheme = records(schemes)[name];
    return (
      scheme?.type === 'basic' || (scheme?.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic')
    );
  };
  return alternatives.some((alternative) => Object.keys(alternative).every(isBasic)) ? 'send' : 'unsupported';
}

function serverPath(servers: unknown): string {
  const [first] = list(servers).filter(isRecord);
  return first === undefined ? '' : new URL(String(first.url), 'http://server.invalid').pathname;
}

function jsonMediaType(mediaTypes: readonly unknown[]): string {
  const json = jsonMediaTypeOrNone(mediaTypes.map(String));
  if (json === undefined) throw new Error(`Only JSON bodies are supported, not ${mediaTypes.join(', ')}`);
  return json;
}

function jsonMediaTypeOrNone(mediaTypes: readonly string[]): string | undefined {
  return mediaTypes.find((mediaType) => /^application\/([\w.-]+\+)?json$/i.test(mediaType));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function records(value: unknown): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(record(value)).filter((entry): entry is [string, Record<string, unknown>] =>
      isRecord(entry[1]),
    ),
  );
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
