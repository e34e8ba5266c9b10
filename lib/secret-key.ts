import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
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

/** What opens a secret: `Decrypt`, and `ReEncryptFrom`, which would move it under a key the caller can decrypt. */
const secretReadingActions = ['kms:Decrypt', 'kms:ReEncrypt*'] as const;

/**
 * The key policy's statement that only the roles given {@link SecretKey.grantDecryptTo} read a secret: a Deny of
 * {@link secretReadingActions} to every principal whose `aws:PrincipalArn` (for a role's session, the role's
 * ARN) is not one of theirs. The list is written when the policy is rendered, from the grants made, so the key
 * policy and the roles' policies cannot disagree; with no grant at all it denies everyone.
 */
class OnlyGrantedRolesRead extends PolicyStatement {
  private readonly roles: IRole[] = [];

  public constructor() {
    super({
      sid: 'OnlyTheSigningRolesReadSecrets',
      effect: Effect.DENY,
      // Every principal, service principals included: a negated operator holds when the key is absent.
      principals: [new AnyPrincipal()],
      actions: [...secretReadingActions],
      resources: ['*'],
    });
  }

  /** Leaves the role out of the Deny. */
  public except(role: IRole): void {
    if (this.frozen) {
      throw new Error('The signing secrets’ key policy is already rendered: grant before synthesis');
    }
    this.roles.push(role);
  }

  /** Writes the roles left out, once, as the policy is rendered (CDK calls this more than once). */
  public override freeze(): PolicyStatement {
    if (!this.frozen && this.roles.length > 0) {
      this.addCondition('ArnNotEquals', { 'aws:PrincipalArn': this.roles.map((role) => role.roleArn) });
    }
    return super.freeze();
  }
}

/**
 * The KMS key that seals the subscriptions' signing secrets at rest (design notes: Signing secrets at rest):
 * symmetric, rotated yearly by KMS, retained when the stack goes. Its key policy keeps KMS's default statement
 * (the account administers the key and delegates its use to IAM) and adds a Deny: no principal but the roles
 * given {@link grantDecryptTo} may decrypt under it, whatever its IAM policies allow. Which roles use it is said
 * by {@link grantEncryptTo} and {@link grantDecryptTo}, each for the secrets' encryption context only, beside
 * the variable that names the key.
 */
export class SecretKey extends Construct {
  /** The key. */
  public readonly key: Key;
  private readonly readers = new OnlyGrantedRolesRead();

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
    // In the key policy itself, so an admin's or a CI role's `kms:*` on `*` does not open the secrets.
    this.key.addToResourcePolicy(this.readers);
  }

  /** Lets the function seal secrets (`kms:Encrypt` only: it can never read one back) and binds the key's ARN. */
  public grantEncryptTo(fn: PlatformFunction): void {
    this.grant(fn, 'kms:Encrypt');
  }

  /**
   * Lets the function open secrets (`kms:Decrypt`) and binds the key's ARN: the functions that sign webhooks.
   * Its role is also left out of the key policy's Deny, the only way a role is.
   */
  public grantDecryptTo(fn: PlatformFunction): void {
    this.readers.except(fn.role);
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
