import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /**
   * An e-mail address subscribed to the topic; AWS sends it a confirmation message first.
   * @default - no subscription
   */
  readonly email?: string;
}

/**
 * The SNS topic the platform's alarms notify: encrypted with a KMS key of its own (CloudWatch may use it to
 * publish; the AWS managed SNS key lets no service do so), reachable over TLS only, with CloudWatch alarms of
 * this account allowed to publish.
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  public readonly topic: Topic;
  /** The key the topic's messages are encrypted with. */
  public readonly key: Key;

  public constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const { email } = props;
    if (email !== undefined && !Token.isUnresolved(email) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      throw new Error(`${this.node.path}: alarmEmail must be an e-mail address, got '${email}'`);
    }
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the webhook platform alarm topic',
      enableKeyRotation: true,
      // It protects notifications in transit only: nothing stays encrypted with it once the topic is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const { account, region, partition } = Stack.of(this);
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const fromThisAccount = { StringEquals: { 'aws:SourceAccount': account } };
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsEncryptNotifications',
        effect: Effect.ALLOW,
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisAccount,
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Webhook platform alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        effect: Effect.ALLOW,
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ...fromThisAccount,
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    if (email !== undefined) this.topic.addSubscription(new EmailSubscription(email));
  }
}
