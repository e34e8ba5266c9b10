import { Duration, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ShippingStack, type ShippingStackProps } from '../../examples/embed/shipping-stack.ts';
import { functions } from '../../functions/core/platform.ts';
import { WebhookPlatformStack } from '../../lib/webhook-platform-stack.ts';
import { type CfnResource, ofType, testApp } from './synth.ts';

const env = { account: '123456789012', region: 'eu-west-1' };
const apiDomain = {
  domainName: 'webhooks.example.com',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  zoneName: 'example.com',
};

function synthExample(props: Partial<ShippingStackProps> = {}) {
  const stack = new ShippingStack(testApp(), 'Shipping', {
    env,
    onCallEmail: 'oncall@example.com',
    ...props,
  });
  const resources: Record<string, CfnResource> = Template.fromStack(stack).toJSON().Resources;
  return { stack, resources };
}

/** cdk-nag's AWS Solutions findings of a stack (errors and warnings), and whether its app synthesizes with the plugin. */
function nag(stack: Stack): string[] {
  const app = stack.node.root as ReturnType<typeof testApp>;
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const report = new AwsSolutionsChecks().validateScope(stack);
  expect(() => app.synth()).not.toThrow();
  return report.violations.map(
    (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
}

describe('the example app (examples/embed)', () => {
  it("embeds the platform in the application's stack, on the application's own bus", () => {
    const { stack, resources } = synthExample();
    const busId = stack.getLogicalId(stack.events.node.defaultChild as never);

    expect(ofType(resources, 'AWS::Events::EventBus').map(([id, bus]) => [id, bus.Properties.Name])).toEqual([
      [busId, 'shipping-events'],
    ]);
    for (const [, rule] of ofType(resources, 'AWS::Events::Rule')) {
      expect(rule.Properties.EventBusName).toEqual({ Ref: busId });
    }
    expect(ofType(resources, 'AWS::Events::Archive').map(([, a]) => a.Properties.RetentionDays)).toEqual([
      30,
    ]);
    expect(ofType(resources, 'AWS::SNS::Subscription').map(([, s]) => s.Properties.Endpoint)).toEqual([
      'oncall@example.com',
    ]);
    const delivery = ofType(resources, 'AWS::Lambda::Function').find(
      ([, fn]) => fn.Properties.Description === functions.delivery.description,
    );
    expect(delivery?.[1].Properties.Environment.Variables).toMatchObject({
      EVENT_BUS_NAME: { Ref: busId },
      RETRY_SCHEDULE: '10,600,3600,21600',
      DISABLE_AFTER_SECONDS: String(3 * 86_400),
      DELIVERY_RETENTION_DAYS: '45',
    });
    expect(ofType(resources, 'AWS::ApiGatewayV2::DomainName')).toEqual([]);
  });

  it('gives the API a custom domain, with a certificate validated in its zone and an alias record', () => {
    const { resources } = synthExample({ apiDomain });

    expect(ofType(resources, 'AWS::CertificateManager::Certificate').map(([, c]) => c.Properties)).toEqual([
      expect.objectContaining({
        DomainName: 'webhooks.example.com',
        ValidationMethod: 'DNS',
        DomainValidationOptions: [
          { DomainName: 'webhooks.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' },
        ],
      }),
    ]);
    expect(ofType(resources, 'AWS::ApiGatewayV2::DomainName')).toHaveLength(1);
    expect(ofType(resources, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties.Name)).toEqual([
      'webhooks.example.com.',
    ]);
  });

  it.each([
    ['without a custom domain', {}],
    ['with a custom domain', { apiDomain }],
  ])('has no cdk-nag AwsSolutions finding, acknowledged ones aside (%s)', (_, props) => {
    expect(nag(synthExample(props).stack)).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions on the app stack with every option', () => {
  it('has no finding, acknowledged ones aside', () => {
    const stack = new WebhookPlatformStack(testApp(), 'Everything', {
      env,
      alarmEmail: 'oncall@example.com',
      archive: { retention: Duration.days(30) },
    });
    expect(nag(stack)).toEqual([]);
  });
});
