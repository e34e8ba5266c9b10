import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { type FunctionDefinition, type FunctionName, functions } from '../functions/core/platform.ts';
import { runAs } from './call-log.ts';
import type { Meter } from './meter.ts';

/** A Lambda handler as its module exports it. */
export type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Thrown when a handler runs past its timeout, as Lambda reports it. */
export class FunctionTimeoutError extends Error {
  override name = 'Sandbox.Timedout';
}

/**
 * A function as Lambda runs it: each invocation gets an execution environment of its own, a separate instance
 * of the handler module, that serves one invocation at a time and is reused after it (a warm start), or created
 * when none is free (a cold start). So the handler module's own scope (its clients, its Powertools batch
 * processor) is never shared by concurrent invocations, as on AWS. Modules it imports are loaded once and shared
 * (keep per-invocation state out of their module scope). An environment whose invocation timed out is thrown
 * away, but its promise is not stopped, as Lambda would freeze it.
 */
export class LocalFunction {
  private readonly idle: Handler[] = [];
  private environments = 0;

  constructor(
    readonly name: FunctionName,
    readonly definition: FunctionDefinition,
    /** Loads a fresh instance of the handler module; `environment` numbers it. */
    private readonly loadHandler: (environment: number) => Promise<Handler>,
    private readonly region: string,
    /** Counts invocations, billed duration and cold starts, as Lambda bills them. */
    private readonly meter?: Meter,
  ) {}

  /** The deployed handler module of a platform function, loaded from the path the CDK app bundles. */
  static fromModule(
    name: FunctionName,
    projectRoot: string,
    region: string,
    entry: string = functions[name].entry,
    meter?: Meter,
  ): LocalFunction {
    const definition = functions[name];
    const url = pathToFileURL(resolve(projectRoot, entry)).href;
    return new LocalFunction(
      name,
      definition,
      async (environment) => {
        // A distinct URL is a distinct module instance: the environment's own copy of the handler's module scope.
        // The function's name is part of it, since functions may share an entry (the three delivery lanes): on
        // AWS each has its own environments, and an SDK client of one never sends another's requests.
        const module = (await import(`${url}?function=${name}&environment=${environment}`)) as {
          handler?: Handler;
        };
        if (typeof module.handler !== 'function') {
          throw new TypeError(`${entry} does not export a handler function`);
        }
        return module.handler;
      },
      region,
      meter,
    );
  }

  /** Creates an environment ahead of the first invocation (and surfaces a module that cannot load). */
  async prewarm(): Promise<void> {
    this.idle.push(await this.coldStart());
  }

  /** How many execution environments have been created so far. */
  get environmentCount(): number {
    return this.environments;
  }

  /**
   * Invokes the handler with a Lambda context, failing with `Task timed out` when it runs past the function's
   * timeout (its environment is then discarded, its promise abandoned).
   */
  async invoke(event: unknown): Promise<unknown> {
    const handler = this.idle.pop() ?? (await this.coldStart());
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FunctionTimeoutError(`Task timed out after ${this.definition.timeoutSeconds}.00 seconds`),
          ),
        timeoutMs,
      );
    });
    try {
      // Run as this function: the AWS calls the invocation makes are its own (sandbox/call-log.ts).
      const result = await Promise.race([
        runAs(this.name, () => handler(event, this.context(deadline))),
        timeout,
      ]);
      this.idle.push(handler);
      return result;
    } catch (error) {
      if (!(error instanceof FunctionTimeoutError)) this.idle.push(handler);
      throw error;
    } finally {
      clearTimeout(timer);
      this.meter?.invocation(this.name, this.definition.memorySizeMb, performance.now() - started);
    }
  }

  private async coldStart(): Promise<Handler> {
    const started = performance.now();
    const handler = await runAs(this.name, () => this.loadHandler(this.environments++));
    this.meter?.coldStart(this.name, this.definition.memorySizeMb, performance.now() - started);
    return handler;
  }

  private context(deadline: number): Context {
    const requestId = randomUUID();
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName: this.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.region}:000000000000:function:${this.name}`,
      memoryLimitInMB: String(this.definition.memorySizeMb),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${this.name}`,
      logStreamName: `sandbox/${requestId}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }
}
