import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  type SecretOpener,
  type SecretOwner,
  type SecretSealer,
  SigningSecretError,
  sealedSecretPrefix,
  secretContext,
} from '#core/subscriptions/secret-box.ts';

/** How many opened secrets a delivery function keeps: a few thousand subscriptions' current and previous ones. */
export const openedSecretsKept = 4096;

const whose = (owner: SecretOwner) => `subscription ${owner.subscriptionId} (account ${owner.accountId})`;

/** Why KMS refused, in a sentence an operator can act on; the SDK's exception stays as the cause. */
function refusal(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error && error.message !== 'UnknownError' ? `: ${error.message}` : '';
  if (name === 'InvalidCiphertextException') {
    return `${name} (the ciphertext is not this subscription's, or was changed)`;
  }
  return `${name}${message}`;
}

/** KMS's answer to `call`, or a {@link SigningSecretError} that names the secret, the key and KMS's refusal. */
async function askKms<T>(
  doing: 'encrypted' | 'decrypted',
  owner: SecretOwner,
  keyArn: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new SigningSecretError(
      `The signing secret of ${whose(owner)} could not be ${doing} with ${keyArn}: ${refusal(error)}`,
      { cause: error },
    );
  }
}

/** Seals secrets with KMS `Encrypt` under the signing secrets' key (the API's role may only encrypt). */
export class KmsSecretSealer implements SecretSealer {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyArn: string,
  ) {}

  async seal(secret: string, owner: SecretOwner): Promise<string> {
    const { CiphertextBlob } = await askKms('encrypted', owner, this.keyArn, () =>
      this.kms.send(
        new EncryptCommand({
          KeyId: this.keyArn,
          Plaintext: Buffer.from(secret, 'utf8'),
          EncryptionContext: secretContext(owner),
        }),
      ),
    );
    if (CiphertextBlob === undefined)
      throw new SigningSecretError('KMS answered Encrypt without a CiphertextBlob');
    return sealedSecretPrefix + Buffer.from(CiphertextBlob).toString('base64');
  }
}

/**
 * Opens sealed secrets with KMS `Decrypt`, each once per execution environment: opened secrets are kept, the
 * least recently used dropped beyond {@link openedSecretsKept}. A rotation stores a new ciphertext, so what is
 * kept never goes stale. Kept by ciphertext and owner together: a ciphertext copied onto another subscription
 * is taken to KMS, which refuses it, rather than answered from what its own subscription opened.
 */
export class KmsSecretOpener implements SecretOpener {
  readonly #opened = new Map<string, Promise<string>>();

  constructor(
    private readonly kms: KMSClient,
    private readonly keyArn: string,
    private readonly keep: number = openedSecretsKept,
  ) {}

  open(sealed: string, owner: SecretOwner): Promise<string> {
    const key = `${owner.accountId}\n${owner.subscriptionId}\n${sealed}`;
    const kept = this.#opened.get(key);
    if (kept !== undefined) {
      // Most recently used last, so the first in the map is the one to drop.
      this.#opened.delete(key);
      this.#opened.set(key, kept);
      return kept;
    }
    // Kept while it is under way, so records of a batch that need the same secret share one request.
    const opening = this.#decrypt(sealed, owner);
    this.#opened.set(key, opening);
    opening.catch(() => {
      if (this.#opened.get(key) === opening) this.#opened.delete(key);
    });
    if (this.#opened.size > this.keep) {
      const oldest = this.#opened.keys().next().value;
      if (oldest !== undefined) this.#opened.delete(oldest);
    }
    return opening;
  }

  async #decrypt(sealed: string, owner: SecretOwner): Promise<string> {
    const { Plaintext } = await askKms('decrypted', owner, this.keyArn, () =>
      this.kms.send(
        new DecryptCommand({
          KeyId: this.keyArn,
          CiphertextBlob: Buffer.from(sealed.slice(sealedSecretPrefix.length), 'base64'),
          EncryptionContext: secretContext(owner),
        }),
      ),
    );
    if (Plaintext === undefined) throw new SigningSecretError('KMS answered Decrypt without a Plaintext');
    return Buffer.from(Plaintext).toString('utf8');
  }
}
