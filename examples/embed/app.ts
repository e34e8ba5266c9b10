/**
 * An example CDK app that embeds the webhook platform in a stack of its own (see shipping-stack.ts).
 *
 *   npx cdk synth --app 'npx tsx examples/embed/app.ts' -c onCallEmail=oncall@example.com
 *
 * With `-c apiDomain=webhooks.example.com -c hostedZoneId=Z0123456789 -c zoneName=example.com` the API gets that
 * domain, with a certificate validated in the zone.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ApiDomain, ShippingStack } from './shipping-stack.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const domainName = context('apiDomain');
const hostedZoneId = context('hostedZoneId');
const zoneName = context('zoneName');
const apiDomain: ApiDomain | undefined =
  domainName !== undefined && hostedZoneId !== undefined && zoneName !== undefined
    ? { domainName, hostedZoneId, zoneName }
    : undefined;

new ShippingStack(app, 'Shipping', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  onCallEmail: context('onCallEmail') ?? 'oncall@example.com',
  apiDomain,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
