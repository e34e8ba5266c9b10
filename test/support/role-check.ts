/**
 * The least-privilege checks of one role against what its function does, both ways: nothing the function does
 * may be refused, and nothing the role grants may go unused, unless a written exemption says why. An exemption
 * that explains nothing (its grant is used or gone, its command granted or gone) is reported too, so that the
 * reasons stay true.
 *
 * - {@link checkRun}: the calls a sandbox run saw the function make, on named resources and partitions.
 * - {@link checkCode}: the commands its bundle's code constructs, which name no resource.
 */
import {
  type AccessRequest,
  allows,
  coversAction,
  type Grant,
  grantsOf,
  type ResourceNames,
  type Statement,
  uses,
} from './iam-policy.ts';
import type { CodeOperation } from './sdk-operations.ts';

/** Grants no run exercises, kept on purpose: each action on the resource (and `LeadingKeys` pattern). */
export interface UnusedGrant {
  readonly actions: readonly string[];
  readonly resource: string;
  readonly pattern?: string;
  readonly why: string;
}

/** Commands a module carried in the function's bundle constructs, which the role does not allow: never sent. */
export interface UngrantedCode {
  /** The module, as the metafile names it (`functions/delivery/ports.ts`). */
  readonly module: string;
  readonly actions: readonly string[];
  readonly why: string;
}

/** What the run check found; all empty for a role that holds exactly what its function was seen doing. */
export interface RunFindings {
  /** Requests made that the role refuses. */
  readonly refused: readonly AccessRequest[];
  /** Grants no request used and no exemption explains, as `action resource [pattern]`. */
  readonly unused: readonly string[];
  /** Exemptions whose grant is used, or gone. */
  readonly stale: readonly string[];
}

/** What the code check found; all empty for a role that allows whatever the code may send. */
export interface CodeFindings {
  /** Commands the role allows on no resource, and no exemption explains, as `action (site)`. */
  readonly ungranted: readonly string[];
  /** Exemptions whose command is granted, or no longer in the code. */
  readonly stale: readonly string[];
}

const describe = (action: string, resource: string, pattern?: string) =>
  [action, resource, pattern].filter((part) => part !== undefined).join(' ');

/** The distinct requests, so that a run's thousands of repeats are evaluated once. */
function distinct(requests: readonly AccessRequest[]): AccessRequest[] {
  const seen = new Map<string, AccessRequest>();
  for (const request of requests) seen.set(JSON.stringify(request), request);
  return [...seen.values()];
}

/** Checks the role's statements against the requests a run saw the function make, both ways. */
export function checkRun(
  statements: readonly Statement[],
  made: readonly AccessRequest[],
  exemptions: readonly UnusedGrant[],
  names: ResourceNames,
): RunFindings {
  const requests = distinct(made);
  const refused = requests.filter((request) => !allows(statements, request, names));
  const exempts = (exemption: UnusedGrant, grant: Grant) =>
    exemption.actions.includes(grant.action) &&
    exemption.resource === grant.resource &&
    exemption.pattern === grant.pattern?.value;
  const unusedGrants = grantsOf(statements, names).filter(
    (grant) => !requests.some((request) => uses(request, grant, names)),
  );
  const unused = unusedGrants
    .filter((grant) => !exemptions.some((exemption) => exempts(exemption, grant)))
    .map((grant) => describe(grant.action, grant.resource, grant.pattern?.value));
  const stale = exemptions.flatMap((exemption) =>
    exemption.actions
      .filter((action) => !unusedGrants.some((grant) => exempts({ ...exemption, actions: [action] }, grant)))
      .map(
        (action) =>
          `exempt but used or not granted: ${describe(action, exemption.resource, exemption.pattern)}`,
      ),
  );
  return { refused, unused: [...new Set(unused)], stale };
}

/** Checks that the role allows every command the function's code constructs, on some resource. */
export function checkCode(
  statements: readonly Statement[],
  inCode: readonly CodeOperation[],
  exemptions: readonly UngrantedCode[],
): CodeFindings {
  const granted = (action: string) =>
    statements.some((statement) => statement.Effect === 'Allow' && coversAction(statement, action));
  const ungrantedOperations = inCode.filter((operation) => !granted(operation.action));
  const exempts = (exemption: UngrantedCode, operation: CodeOperation) =>
    exemption.actions.includes(operation.action) && operation.module === exemption.module;
  const ungranted = ungrantedOperations
    .filter((operation) => !exemptions.some((exemption) => exempts(exemption, operation)))
    .map((operation) => `${operation.action} (${operation.module}: new ${operation.command}()`);
  const stale = exemptions.flatMap((exemption) =>
    exemption.actions
      .filter(
        (action) =>
          !ungrantedOperations.some((operation) => exempts({ ...exemption, actions: [action] }, operation)),
      )
      .map((action) => `exempt but granted or not in the code: ${action} in ${exemption.module}`),
  );
  return { ungranted: [...new Set(ungranted)], stale };
}
