import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { type FunctionDefinition, type FunctionName, functions } from '../functions/core/platform.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** A deployed function's handler module, loaded as it is, with the limits its definition gives it. */
export interface LocalFunction {
  readonly name: FunctionName;
  readonly definition: FunctionDefinition;
  readonly handler: Handler;
}

/** Thrown when a handler runs past its timeout, as Lambda reports it. */
export class FunctionTimeoutError extends Error {
  override name = 'Sandbox.Timedout';
}

/** Imports a function's handler module from the path the CDK app deploys. */
export async function loadFunction(name: FunctionName, projectRoot: string): Promise<LocalFunction> {
  const definition = functions[name];
  const module = (await import(pathToFileURL(resolve(projectRoot, definition.entry)).href)) as {
    handler?: Handler;
  };
  if (typeof module.handler !== 'function') {
    throw new TypeError(`${definition.entry} does not export a handler function`);
  }
  return { name, definition, handler: module.handler };
}

/**
 * Invokes a handler as Lambda would: with a context object, and failing with `Task timed out` when it runs past
 * the function's timeout (the handler's promise is abandoned, as Lambda abandons the sandbox).
 */
export async function invoke(fn: LocalFunction, event: unknown, region: string): Promise<unknown> {
  const timeoutMs = fn.definition.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${fn.name}`,
    memoryLimitInMB: String(fn.definition.memorySizeMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `sandbox/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new FunctionTimeoutError(`Task timed out after ${fn.definition.timeoutSeconds}.00 seconds`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([fn.handler(event, context), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
