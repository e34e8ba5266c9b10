/**
 * An application's own stack that embeds the webhook platform: its services already publish on a bus of their
 * own, which the platform's rules are added to; alarms go to an on-call address; routed events are archived
 * for a month so an outage can be replayed; the API answers on a custom domain when one is configured.
 */
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { type CustomDomainOptions, WebhookPlatform } from '../../lib/webhook-platform.ts';

/** A hosted zone of the account and a name in it for the API. */
export interface ApiDomain {
  readonly domainName: string;
  readonly hostedZoneId: string;
  readonly zoneName: string;
}

export interface ShippingStackProps extends StackProps {
  /** Where alarms are sent. */
  readonly onCallEmail: string;
  /**
   * A custom domain for the webhook API, with a certificate validated in its hosted zone.
   * @default - the API's execute-api URL
   */
  readonly apiDomain?: ApiDomain;
}

export class ShippingStack extends Stack {
  /** The bus the shipping services publish on. */
  public readonly events: EventBus;
  public readonly webhooks: WebhookPlatform;

  public constructor(scope: Construct, id: string, props: ShippingStackProps) {
    super(scope, id, props);
    this.events = new EventBus(this, 'ShippingEvents', { eventBusName: 'shipping-events' });

    let customDomain: CustomDomainOptions | undefined;
    if (props.apiDomain !== undefined) {
      const { domainName, hostedZoneId, zoneName } = props.apiDomain;
      const hostedZone = HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId, zoneName });
      const certificate = new Certificate(this, 'ApiCertificate', {
        domainName,
        validation: CertificateValidation.fromDns(hostedZone),
      });
      customDomain = { domainName, certificate, hostedZone };
    }

    this.webhooks = new WebhookPlatform(this, 'Webhooks', {
      eventBus: this.events,
      alarmEmail: props.onCallEmail,
      archive: { retention: Duration.days(30) },
      retrySchedule: [Duration.seconds(10), Duration.minutes(10), Duration.hours(1), Duration.hours(6)],
      disableAfter: Duration.days(3),
      deliveryRetention: Duration.days(45),
      logRetention: RetentionDays.TWO_WEEKS,
      apiThrottle: { rateLimit: 50, burstLimit: 100 },
      subscriptionsPerAccount: 25,
      removalPolicy: RemovalPolicy.RETAIN,
      customDomain,
    });
  }
}
