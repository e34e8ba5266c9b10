import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import { type IGrantable, type IPrincipal, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  RecursiveLoop,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EnvironmentVariable, FunctionDefinition } from '../functions/core/platform.ts';
import { lambdaRuntime, nodejsBundlingOptions } from './bundling.ts';

/** The project root: the folder that holds `package.json` and the handler entries of `platform.ts`. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Environment every function gets from the platform itself, beside the variables its definition declares:
 * stack traces through the bundle's source maps.
 */
export const runtimeEnvironment: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--enable-source-maps',
};

export interface PlatformFunctionProps {
  /** The function as `platform.ts` defines it: entry, timeout, memory and the environment it reads. */
  readonly definition: FunctionDefinition;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What the bundle gets beside the handler (e.g. files copied next to it), merged over the platform's
   * bundling options.
   * @default - the handler's bundle only
   */
  readonly commandHooks?: ICommandHooks;
  /**
   * What Lambda does when one chain of requests invokes the function more than 16 times. `ALLOW` only for a
   * function that re-queues work by design (a retry is a new delayed message; a long wait hops through the
   * retry queue every 15 minutes), whose own logic bounds the chain.
   * @default RecursiveLoop.TERMINATE
   */
  readonly recursiveLoop?: RecursiveLoop;
}

/**
 * A Lambda function built from a `platform.ts` definition: Node.js 24 on ARM64, an ES module bundle, JSON logs in
 * a log group of its own (application level INFO), active tracing, and Lambda's recursive-loop detection on
 * unless {@link PlatformFunctionProps.recursiveLoop} allows a loop the design needs.
 *
 * Its environment is set only through {@link bindEnvironment}, which the resource constructs call together with
 * the IAM grant (`table.grantItemsTo(fn, access)`, `queue.grantSendTo(fn, 'DELIVERY_QUEUE_URL')`). Synthesis fails if
 * a variable the definition declares is left unbound; binding one it does not declare throws at once.
 */
export class PlatformFunction extends Construct implements IGrantable {
  /** The definition this function was built from. */
  public readonly definition: FunctionDefinition;
  /** The Lambda function. */
  public readonly function: NodejsFunction;
  /** The function's log group. */
  public readonly logGroup: LogGroup;
  /** The function's execution role. */
  public readonly role: Role;
  public readonly grantPrincipal: IPrincipal;
  private readonly bound = new Map<EnvironmentVariable, string>();

  public constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    const { definition } = props;
    checkDefinition(this.node.path, definition);
    this.definition = definition;

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    // A role of its own instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${definition.entry}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(projectRoot, definition.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      description: definition.description,
      runtime: lambdaRuntime,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(definition.timeoutSeconds),
      memorySize: definition.memorySizeMb,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      // Lambda drops JSON log lines below this level; Powertools Logger reads it as AWS_LAMBDA_LOG_LEVEL too. It is
      // also the floor: the embedded metrics carry no level, which Lambda reads as INFO, so a level raised above it
      // would drop every metric the dashboard and the failure-rate alarm read (README: Watching it).
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      recursiveLoop: props.recursiveLoop ?? RecursiveLoop.TERMINATE,
      environment: { ...runtimeEnvironment },
      bundling: {
        ...nodejsBundlingOptions(),
        ...(props.commandHooks === undefined ? {} : { commandHooks: props.commandHooks }),
      },
    });
    this.grantPrincipal = this.function.grantPrincipal;

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 24 is the runtime the platform is built and tested for; bundles target node24. ' +
        'Moving to a newer runtime is a deliberate change of lambdaRuntime and esbuildTarget in lib/bundling.ts.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });

    this.node.addValidation({
      validate: () => {
        const missing = definition.environment.filter((variable) => !this.bound.has(variable));
        return missing.length === 0
          ? []
          : [
              `${definition.entry} reads ${missing.join(', ')} (functions/core/platform.ts) but nothing binds ` +
                `${missing.length === 1 ? 'it' : 'them'}: bind each with the resource it names (e.g. ` +
                `table.grantItemsTo(fn, access), queue.grantSendTo(fn, 'DELIVERY_QUEUE_URL'), fn.bindEnvironment(...)).`,
            ];
      },
    });
  }

  /** The variables bound so far. */
  public get boundEnvironment(): ReadonlyMap<EnvironmentVariable, string> {
    return this.bound;
  }

  /**
   * Sets an environment variable the definition declares. Call it from the method that also grants access to
   * the resource the value names, so that IAM and environment never drift; use it directly only for settings.
   *
   * @throws if the definition does not declare the variable, or it is already bound to another value
   */
  public bindEnvironment(variable: EnvironmentVariable, value: string): void {
    const declared: readonly EnvironmentVariable[] = this.definition.environment;
    if (!declared.includes(variable)) {
      throw new Error(
        `${this.node.path}: ${this.definition.entry} does not read ${variable}; it declares ` +
          `[${declared.join(', ')}] in functions/core/platform.ts. Declare it there first.`,
      );
    }
    const existing = this.bound.get(variable);
    if (existing !== undefined && existing !== value) {
      throw new Error(`${this.node.path}: ${variable} is already bound to another value`);
    }
    this.bound.set(variable, value);
    this.function.addEnvironment(variable, value);
  }
}

function checkDefinition(path: string, definition: FunctionDefinition): void {
  const { entry, timeoutSeconds, memorySizeMb } = definition;
  if (!/^[\w./-]+\.ts$/.test(entry) || entry.startsWith('/') || entry.includes('..')) {
    throw new Error(`${path}: entry must be a .ts path relative to the project root, got '${entry}'`);
  }
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 900) {
    throw new Error(`${path}: timeoutSeconds must be a whole number from 1 to 900, got ${timeoutSeconds}`);
  }
  if (!Number.isInteger(memorySizeMb) || memorySizeMb < 128 || memorySizeMb > 10_240) {
    throw new Error(`${path}: memorySizeMb must be a whole number from 128 to 10240, got ${memorySizeMb}`);
  }
  if (new Set(definition.environment).size !== definition.environment.length) {
    throw new Error(`${path}: environment lists a variable twice: [${definition.environment.join(', ')}]`);
  }
}

/**
 * Binds `ALLOW_PRIVATE_TARGETS` to `'false'`: a deployed platform never sends to private, loopback,
 * link-local or metadata addresses. Only the sandbox allows loopback, by its own option.
 */
export function blockPrivateTargets(fn: PlatformFunction): void {
  fn.bindEnvironment('ALLOW_PRIVATE_TARGETS', 'false');
}
