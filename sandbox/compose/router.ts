/**
 * The sandbox's one HTTP server on 127.0.0.1 and its routing: first the check that a request comes from a local
 * caller by the sandbox's own name, then DynamoDB, SQS, EventBridge and KMS by `X-Amz-Target`, and everything else
 * to the HTTP API as API Gateway would (the API function also serves the portal).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalHttpApi } from '../api-gateway.ts';
import { type AwsJsonService, handleAwsJsonRequest, unknownOperationError } from '../aws-json-protocol.ts';
import type { CallLog } from '../call-log.ts';
import type { LocalDynamoDb } from '../dynamodb.ts';
import type { LocalEventBuses } from '../eventbridge/event-bus.ts';
import { testEventPattern } from '../eventbridge/test-event-pattern.ts';
import { KMS_NAMESPACE, KMS_TARGET_PREFIX, type KmsEmulator } from '../kms/index.ts';
import { refusalOf, refuse } from '../local-callers.ts';
import { SQS_NAMESPACE, SQS_TARGET_PREFIX, type SqsEmulator } from '../sqs/index.ts';

/** Answers one request the Host check let through. */
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The listening server; it answers 503 until {@link SandboxServer.route} gives it a route. */
export interface SandboxServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Sends every request from now on to `route`. */
  route(route: Route): void;
  /**
   * Stops listening and closes the idle connections (keep-alive ones between requests); a connection still
   * serving a request after `graceMs` is cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0 picks a free one). */
export async function listen(port: number): Promise<SandboxServer> {
  let route: Route = async (_req, res) => {
    res.writeHead(503).end('starting');
  };
  let bound = 0;
  const server: Server = createServer((req, res) => {
    // Before anything else: a page of another site reaching the port (DNS rebinding, or cross-origin) gets
    // nothing, not even whether the sandbox is still starting.
    const refusal = refusalOf(req, bound);
    if (refusal !== undefined) {
      refuse(res, refusal);
      return;
    }
    route(req, res).catch((error: unknown) => {
      console.error('[sandbox] request failed:', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Server-side keep-alive longer than the SDK's, so pooled connections are not cut under a request.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ready());
  });
  bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    endpoint: `http://127.0.0.1:${bound}`,
    route: (next) => {
      route = next;
    },
    close: async (graceMs = 1_000) => {
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      // A client's request on the AWS endpoints (a 20 s long poll) is not waited for long.
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(cut);
    },
  };
}

/**
 * Routes the AWS endpoints by `X-Amz-Target` and the rest to the HTTP API, which answers 503 as API Gateway
 * would while `api()` is undefined (the functions are still loading). Given a call log, every SQS, EventBridge
 * and KMS request is logged once served (DynamoDB's are logged by the LocalDynamoDb it was given).
 */
export function sandboxRoute(parts: {
  readonly dynamo: LocalDynamoDb;
  readonly sqs: SqsEmulator;
  readonly buses: LocalEventBuses;
  readonly kms: KmsEmulator;
  readonly api: () => LocalHttpApi | undefined;
  readonly calls?: CallLog | undefined;
}): Route {
  const { dynamo, sqs, buses, kms, calls } = parts;
  return async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const service = target.split('.')[0];
    const logged = (handle: AwsJsonService['handle']): AwsJsonService['handle'] =>
      calls === undefined
        ? handle
        : async (name, input, signal) => {
            let output: unknown;
            try {
              output = await handle(name, input, signal);
              return output;
            } finally {
              calls.request(req.headers, target, input, output);
            }
          };
    if (service === 'DynamoDB_20120810') return dynamo.handle(req, res);
    if (service === SQS_TARGET_PREFIX) {
      return handleAwsJsonRequest(req, res, {
        namespace: SQS_NAMESPACE,
        targetPrefix: SQS_TARGET_PREFIX,
        handle: logged((name, input, signal) => sqs.handle(name, input, signal)),
      });
    }
    if (service === 'AWSEvents') {
      return handleAwsJsonRequest(req, res, {
        namespace: 'com.amazonaws.eventbridge',
        jsonVersion: '1.1',
        targetPrefix: 'AWSEvents',
        handle: logged(async (name, input) => {
          if (name === 'PutEvents') return buses.putEvents(input);
          if (name === 'TestEventPattern') return testEventPattern(input);
          throw unknownOperationError(name);
        }),
      });
    }
    if (service === KMS_TARGET_PREFIX) {
      return handleAwsJsonRequest(req, res, {
        namespace: KMS_NAMESPACE,
        jsonVersion: '1.1',
        targetPrefix: KMS_TARGET_PREFIX,
        handle: logged((name, input) => kms.handle(name, input)),
      });
    }
    const api = parts.api();
    if (api === undefined) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"Service Unavailable"}');
      return;
    }
    return api.handle(req, res);
  };
}
