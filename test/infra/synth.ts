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

/**
 * The logical IDs of the template's resources that a resource waits for, as CloudFormation orders them: every
 * `Ref`, `Fn::GetAtt` and `Fn::Sub` `${Id}` / `${Id.Attr}` anywhere in it, and its `DependsOn`.
 */
export function dependenciesOf(resource: unknown, resources: Record<string, unknown>): Set<string> {
  const found = new Set<string>();
  // `Ref` may name a parameter or a pseudo parameter (`AWS::Region`), which order nothing.
  const add = (reference: unknown) => {
    const id = typeof reference === 'string' ? reference.split('.')[0] : undefined;
    if (id !== undefined && id in resources) found.add(id);
  };
  const walk = (value: unknown): void => {
    // An array's entries too: their keys are indices, never `Ref`.
    if (typeof value !== 'object' || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' || key === 'DependsOn') [inner].flat().forEach(add);
      else if (key === 'Fn::GetAtt') add(Array.isArray(inner) ? inner[0] : inner);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        if (typeof text === 'string') for (const [, id] of text.matchAll(/\$\{([^}!]+)\}/g)) add(id);
      }
      walk(inner);
    }
  };
  walk(resource);
  return found;
}

/**
 * A circular dependency among the template's resources, as the list of logical IDs around it, or undefined if
 * there is none (CloudFormation refuses a template with one, and `cdk synth` does not notice).
 */
export function dependencyCycle(resources: Record<string, unknown>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const next of dependenciesOf(resources[id], resources)) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of Object.keys(resources)) {
    const cycle = visit(id);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}
