/** Shared helpers of the infrastructure tests: an app that skips bundling, and template look-ups. */
import { readFileSync } from 'node:fs';
import { App, type AppProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WebhookPlatformStack, type WebhookPlatformStackProps } from '../../lib/webhook-platform-stack.ts';

/** The feature flags and other context that `cdk synth` and `cdk deploy` read from cdk.json. */
const deployedContext = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/**
 * An app with cdk.json's context (so tests see what is deployed) that bundles no asset and skips the built-in
 * CloudFormation validation: fast, no esbuild.
 */
export function testApp(props: AppProps = {}): App {
  return new App({
    builtinCloudFormationValidation: false,
    ...props,
    context: { ...deployedContext, 'aws:cdk:bundling-stacks': [], ...props.context },
  });
}

export function synthPlatform(props: WebhookPlatformStackProps = {}): {
  stack: WebhookPlatformStack;
  template: Template;
  resources: Record<string, CfnResource>;
} {
  const stack = new WebhookPlatformStack(testApp(), 'Test', props);
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources };
}

/** A resource of the synthesized template, loosely typed. */
export interface CfnResource {
  readonly Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: template properties are arbitrary JSON
  readonly Properties: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export function ofType(resources: Record<string, CfnResource>, type: string): [string, CfnResource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** The logical ID a `{ Ref }` or `{ 'Fn::GetAtt': [id, attr] }` points at. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}
