/**
 * The functions' roles in the synthesized template, for the least-privilege checks: each role's statements,
 * and the template's resources by the names the checks give them (`table`, `index:AccountEvents`, `queue:delivery`, `dlq:fanOut`,
 * `bus`, `key:signing-secrets`, `logs:api`), which the sandbox's resources are named by too.
 */
import type { CfnElement } from 'aws-cdk-lib';
import { type FunctionName, table } from '../../functions/core/platform.ts';
import type { WebhookPlatformStack } from '../../lib/webhook-platform-stack.ts';
import type { CfnResource } from '../infra/synth.ts';
import type { ResourceNames, Statement } from './iam-policy.ts';

export interface PlatformRoles {
  /** The statements of every policy attached to the function's role, and of the role's own. */
  statementsOf(name: FunctionName): Statement[];
  /** The template's resources by name. */
  readonly names: ResourceNames;
}

/** Reads the roles of a synthesized platform stack. */
export function platformRoles(
  stack: WebhookPlatformStack,
  resources: Readonly<Record<string, CfnResource>>,
): PlatformRoles {
  const { platform } = stack;
  const named = new Map<string, string>();
  const name = (arn: string, as: string) => named.set(JSON.stringify(stack.resolve(arn)), as);
  name(platform.table.table.tableArn, 'table');
  const eventsIndex = table.accountEventsIndex.name;
  name(`${platform.table.table.tableArn}/index/${eventsIndex}`, `index:${eventsIndex}`);
  for (const [queue, workQueue] of Object.entries(platform.queues)) {
    name(workQueue.queue.queueArn, `queue:${queue}`);
    name(workQueue.deadLetterQueue.queueArn, `dlq:${queue}`);
  }
  name(platform.eventBus.eventBusArn, 'bus');
  name(platform.secretKey.key.keyArn, 'key:signing-secrets');
  for (const [fn, platformFunction] of Object.entries(platform.functions)) {
    name(platformFunction.logGroup.logGroupArn, `logs:${fn}`);
  }

  return {
    names: (value) => (value === '*' ? '*' : (named.get(JSON.stringify(value)) ?? JSON.stringify(value))),
    statementsOf(fn) {
      const roleId = stack.getLogicalId(platform.functions[fn].role.node.defaultChild as CfnElement);
      const role = resources[roleId];
      if (role === undefined) throw new Error(`The template has no role ${roleId} for ${fn}`);
      if (role.Properties.ManagedPolicyArns !== undefined) {
        throw new Error(`${fn}'s role has managed policies, which these checks do not read`);
      }
      const attached = Object.values(resources).filter(
        (resource) =>
          resource.Type === 'AWS::IAM::Policy' &&
          resource.Properties.Roles.some((role: { Ref?: string }) => role.Ref === roleId),
      );
      return [role, ...attached].flatMap((resource) =>
        resource.Type === 'AWS::IAM::Role'
          ? (resource.Properties.Policies ?? []).flatMap(
              (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
            )
          : resource.Properties.PolicyDocument.Statement,
      );
    },
  };
}
