import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { problems } from '#core/http/problem.ts';

/** A request as routes see it: the authenticated account, path parameters and the parsed body. */
export interface ApiRequest {
  readonly accountId: string;
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly event: APIGatewayProxyEventV2;
}

export type RouteHandler = (request: ApiRequest) => Promise<APIGatewayProxyStructuredResultV2>;

/** A route: method and a path template such as `/v1/webhooks/{id}`. */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly handler: RouteHandler;
}

interface CompiledRoute extends Route {
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, pattern: new RegExp(`^${source}/?$`), names };
}

function decodeParameter(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw problems.notFound(`No resource at ${value} (its percent-encoding is broken)`);
  }
}

/** Finds the route for a method and path: 404 when no path matches, 405 when only the method is wrong. */
export function createRouter(routes: readonly Route[]) {
  const compiled = routes.map(compile);
  return (method: string, path: string): { handler: RouteHandler; params: Record<string, string> } => {
    const matching = compiled
      .map((route) => ({ route, match: route.pattern.exec(path) }))
      .filter((candidate) => candidate.match !== null);
    if (matching.length === 0) throw problems.notFound(`No resource at ${path}`);
    const chosen = matching.find((candidate) => candidate.route.method === method);
    if (chosen === undefined)
      throw problems.methodNotAllowed(matching.map((candidate) => candidate.route.method));
    const params = Object.fromEntries(
      chosen.route.names.map((name, index) => [name, decodeParameter(chosen.match?.[index + 1] ?? '')]),
    );
    return { handler: chosen.route.handler, params };
  };
}

/** A JSON response. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
