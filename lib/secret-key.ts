import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { signingSecretPurpose } from '../functions/core/subscriptions/secret-box.ts';
import type { PlatformFunction } from './platform-function.ts';

export interface SecretKeyProps {
  /**
   * What happens to the key when it leaves the stack. A deleted key leaves every stored signing secret
   * unreadable (and so every delivery unsigned and failing): only change it for throwaway stacks.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The key's alias, without `alias/`.
   * @default - `<stack name>/signing-secrets`
   */
  readonly aliasName?: string;
}

/**
 * The KMS key that seals the subscriptions' signing secrets at rest (design notes: Signing secrets at rest):
 * symmetric, rotated yearly by KMS, retained when the stack goes. Its key policy is KMS's default (the account
 * delegates to IAM); which roles may use it is said by {@link grantEncryptTo} and {@link grantDecryptTo}, each
 * for the secrets' encryption context only, beside the variable that names the key.
 */
export class SecretKey extends Construct {
  /** The key. */
  public readonly key: Key;

  public constructor(scope: Construct, id: string, props: SecretKeyProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!Object.values(RemovalPolicy).includes(removalPolicy)) {
      throw new Error(
        `${this.node.path}: removalPolicy must be a RemovalPolicy, got ${String(removalPolicy)}`,
      );
    }
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the webhook subscriptions’ signing secrets at rest',
      alias: props.aliasName ?? `${Stack.of(this).stackName}/signing-secrets`,
      enableKeyRotation: true,
      removalPolicy,
      // The longest wait KMS allows, should a throwaway stack's key be deleted.
      pendingWindow: Duration.days(30),
    });
  }

  /** Lets the function seal secrets (`kms:Encrypt` only: it can never read one back) and binds the key's ARN. */
  public grantEncryptTo(fn: PlatformFunction): void {
    this.grant(fn, 'kms:Encrypt');
  }

  /** Lets the function open secrets (`kms:Decrypt`) and binds the key's ARN: the functions that sign webhooks. */
  public grantDecryptTo(fn: PlatformFunction): void {
    this.grant(fn, 'kms:Decrypt');
  }

  private grant(fn: PlatformFunction, action: 'kms:Encrypt' | 'kms:Decrypt'): void {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [action],
        resources: [this.key.keyArn],
        // Only for what the platform encrypts under it: a signing secret, named as such in its context.
        conditions: { StringEquals: { 'kms:EncryptionContext:purpose': signingSecretPurpose } },
      }),
    );
    fn.bindEnvironment('SIGNING_SECRET_KEY_ARN', this.key.keyArn);
  }
}
