/**
 * A small evaluator of IAM identity-policy statements, enough for the roles the template gives the functions:
 * actions with wildcards, resources named as the check names them (see {@link ResourceNames}), and the
 * conditions those roles use (`StringEquals`/`StringLike` on a single-valued key, their `ForAllValues:` forms on
 * a multivalued one such as `dynamodb:LeadingKeys`). Any other condition operator throws: a role that needs more
 * than this is a role this evaluator cannot vouch for. An explicit Deny wins, as in IAM.
 */

/** A statement as CloudFormation writes it. */
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * The request context: condition keys and their values. A multivalued key (`dynamodb:LeadingKeys`) is a list,
 * empty when the request names none (a Scan).
 */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

/** One request as IAM evaluates it: an action (`sqs:SendMessage`) on a named resource, with its context. */
export interface AccessRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: RequestContext;
}

/**
 * How the template's `Resource` values are named: a reference (`{ "Fn::GetAtt": [id, "Arn"] }`) by the name
 * the check gives that resource (`queue:delivery`, `table`); `*` stays `*`. A value it cannot name is kept as
 * its JSON, which names no requested resource.
 */
export type ResourceNames = (value: unknown) => string;

/** IAM's wildcards: `*` any run of characters, `?` any one. */
export function like(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's').test(value);
}

const listOf = <T>(value: T | readonly T[]): readonly T[] => (Array.isArray(value) ? value : [value as T]);

/** Whether the statement's `Action` covers the action (action names are case-insensitive in IAM). */
export const coversAction = (statement: Statement, action: string): boolean =>
  listOf(statement.Action).some((pattern) => like(pattern, action, true));

/** Whether the statement's `Resource` covers the named resource. */
export const coversResource = (statement: Statement, resource: string, names: ResourceNames): boolean =>
  listOf(statement.Resource).some((value) => {
    const name = names(value);
    return name === '*' || like(name, resource);
  });

const operators: Readonly<Record<string, (pattern: string, value: string) => boolean>> = {
  StringEquals: (pattern, value) => pattern === value,
  StringLike: (pattern, value) => like(pattern, value),
};

/** Whether every condition of the statement holds for the request's context. */
export function conditionsHold(statement: Statement, context: RequestContext = {}): boolean {
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => {
    const [qualifier, base = ''] = operator.includes(':') ? operator.split(':') : [undefined, operator];
    const test = operators[base];
    if (test === undefined || (qualifier !== undefined && qualifier !== 'ForAllValues')) {
      throw new Error(`The IAM evaluator does not know the condition operator ${operator}`);
    }
    return Object.entries(keys).every(([key, allowed]) => {
      const patterns = listOf(allowed as string | readonly string[]).map(String);
      const value = context[key];
      const matches = (v: string) => patterns.some((pattern) => test(pattern, v));
      if (qualifier === 'ForAllValues') {
        // Vacuously true for a request without the key (IAM's rule): why no statement may allow a Scan.
        return listOf(value ?? []).every(matches);
      }
      return typeof value === 'string' && matches(value);
    });
  });
}

/** Whether the statement applies to the request: its action, its resource and its conditions. */
export const statementApplies = (
  statement: Statement,
  request: AccessRequest,
  names: ResourceNames,
): boolean =>
  coversAction(statement, request.action) &&
  coversResource(statement, request.resource, names) &&
  conditionsHold(statement, request.context);

/** Whether the statements allow the request: an Allow applies and no Deny does. */
export function allows(
  statements: readonly Statement[],
  request: AccessRequest,
  names: ResourceNames,
): boolean {
  const applying = statements.filter((statement) => statementApplies(statement, request, names));
  return applying.some((s) => s.Effect === 'Allow') && !applying.some((s) => s.Effect === 'Deny');
}

/**
 * One thing an Allow statement grants: an action on a resource (as named), and, for a statement with a
 * `ForAllValues:StringLike` on a multivalued key, one of its patterns (each must be used on its own: a
 * `LeadingKeys` of `ACCOUNT#*` and `EVENT#*` is two grants).
 */
export interface Grant {
  readonly statement: Statement;
  readonly action: string;
  readonly resource: string;
  /** The multivalued key and one of its patterns, if the statement limits one. */
  readonly pattern?: { readonly key: string; readonly value: string };
}

/** Every grant of the Allow statements, in the order written. */
export function grantsOf(statements: readonly Statement[], names: ResourceNames): Grant[] {
  return statements
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => {
      const multivalued = Object.entries(statement.Condition?.['ForAllValues:StringLike'] ?? {}).flatMap(
        ([key, values]) => listOf(values as string | readonly string[]).map((value) => ({ key, value })),
      );
      return listOf(statement.Action).flatMap((action) =>
        listOf(statement.Resource).flatMap((value) => {
          const resource = names(value);
          return multivalued.length === 0
            ? [{ statement, action, resource }]
            : multivalued.map((pattern) => ({ statement, action, resource, pattern }));
        }),
      );
    });
}

/**
 * Whether the request makes use of the grant: the grant's statement allows it, on the grant's own action and
 * resource, and (for a grant of one pattern) one of the request's values is like that pattern.
 */
export function uses(request: AccessRequest, grant: Grant, names: ResourceNames): boolean {
  if (!like(grant.action, request.action, true)) return false;
  if (grant.resource !== '*' && !like(grant.resource, request.resource)) return false;
  if (!statementApplies(grant.statement, request, names)) return false;
  const { pattern } = grant;
  return (
    pattern === undefined || listOf(request.context?.[pattern.key] ?? []).some((v) => like(pattern.value, v))
  );
}
