/**
 * The signing secrets' KMS adapters (functions/core/aws/kms-secrets.ts) and what a subscription's secrets go
 * through on their way to and from the table (functions/core/subscriptions/secret-box.ts), against the
 * sandbox's KMS on loopback, its meter counting the requests KMS would bill.
 */
import { DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsSecretOpener } from '#core/aws/kms-secrets.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import {
  isSealedSecret,
  openSecrets,
  SigningSecretError,
  sealSecrets,
} from '#core/subscriptions/secret-box.ts';
import { Meter } from '#sandbox/meter.ts';
import { useLocalSecretKey } from '../support/local-kms.ts';
import { aSubscription } from '../support/subscriptions.ts';

const meter = new Meter();
const key = useLocalSecretKey(meter);
const owner = { accountId: 'acct_1', subscriptionId: 'sub_1' };
const requests = () => meter.snapshot().kms;

beforeEach(() => meter.reset());

/** What a call threw. */
async function thrown(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('KmsSecretSealer and KmsSecretOpener', () => {
  it('seal a secret into a kms: ciphertext that holds nothing of it, and open it back', async () => {
    const { sealer, opener } = key();
    const secret = newSigningSecret();

    const sealed = await sealer.seal(secret, owner);

    expect(sealed).toMatch(/^kms:[A-Za-z0-9+/]+={0,2}$/);
    expect(sealed).not.toContain(secret.slice('whsec_'.length));
    expect(isSealedSecret(sealed)).toBe(true);
    expect(isSealedSecret(secret)).toBe(false);
    expect(await opener.open(sealed, owner)).toBe(secret);
    expect(requests()).toEqual({ Encrypt: 1, Decrypt: 1 });
  });

  it('open each ciphertext once per execution environment, however often and however concurrently it is read', async () => {
    const { sealer, kms, keyArn } = key();
    const opener = new KmsSecretOpener(kms, keyArn);
    const secret = newSigningSecret();
    const sealed = await sealer.seal(secret, owner);
    meter.reset();

    const concurrent = await Promise.all(Array.from({ length: 10 }, () => opener.open(sealed, owner)));
    const later = await opener.open(sealed, owner);

    expect(new Set([...concurrent, later])).toEqual(new Set([secret]));
    expect(requests()).toEqual({ Decrypt: 1 });
  });

  it('keep a bounded number of opened secrets, dropping the least recently used', async () => {
    const { sealer, kms, keyArn } = key();
    const opener = new KmsSecretOpener(kms, keyArn, 2);
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => sealer.seal(newSigningSecret(), owner)));
    meter.reset();

    await opener.open(a as string, owner);
    await opener.open(b as string, owner);
    await opener.open(a as string, owner); // a is now the most recently used
    await opener.open(c as string, owner); // drops b
    expect(requests()).toEqual({ Decrypt: 3 });
    await opener.open(a as string, owner);
    expect(requests()).toEqual({ Decrypt: 3 });
    await opener.open(b as string, owner);
    expect(requests()).toEqual({ Decrypt: 4 });
  });

  it('refuse a ciphertext copied onto another subscription with an error naming it and KMS’s refusal, even once opened on its own', async () => {
    const { sealer, kms, keyArn } = key();
    const opener = new KmsSecretOpener(kms, keyArn);
    const sealed = await sealer.seal(newSigningSecret(), owner);
    await opener.open(sealed, owner);

    const copied = await thrown(opener.open(sealed, { accountId: 'acct_1', subscriptionId: 'sub_2' }));
    const otherAccount = await thrown(opener.open(sealed, { accountId: 'acct_2', subscriptionId: 'sub_1' }));

    for (const error of [copied, otherAccount]) {
      expect(error).toBeInstanceOf(SigningSecretError);
      expect((error as Error).name).toBe('SigningSecretError');
      expect((error as Error).cause).toMatchObject({ name: 'InvalidCiphertextException' });
    }
    expect((copied as Error).message).toBe(
      `The signing secret of subscription sub_2 (account acct_1) could not be decrypted with ${keyArn}: InvalidCiphertextException (the ciphertext is not this subscription's, or was changed)`,
    );
  });

  it('keep no refusal: a secret that could not be opened while the key was disabled opens once it is enabled', async () => {
    const { sealer, kms, keyArn } = key();
    const opener = new KmsSecretOpener(kms, keyArn);
    const secret = newSigningSecret();
    const sealed = await sealer.seal(secret, owner);

    await kms.send(new DisableKeyCommand({ KeyId: keyArn }));
    let refused: unknown;
    let sealing: unknown;
    try {
      refused = await thrown(opener.open(sealed, owner));
      sealing = await thrown(sealer.seal(secret, owner));
    } finally {
      await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
    }

    expect((refused as Error).message).toBe(
      `The signing secret of subscription sub_1 (account acct_1) could not be decrypted with ${keyArn}: DisabledException: ${keyArn} is disabled.`,
    );
    expect((sealing as Error).message).toBe(
      `The signing secret of subscription sub_1 (account acct_1) could not be encrypted with ${keyArn}: DisabledException: ${keyArn} is disabled.`,
    );
    expect(await opener.open(sealed, owner)).toBe(secret);
  });
});

describe('sealSecrets and openSecrets', () => {
  const now = new Date('2026-11-27T12:00:00.000Z');
  const plain = aSubscription({
    secret: newSigningSecret(),
    previousSecrets: [
      { secret: newSigningSecret(), expiresAt: '2026-11-28T00:00:00.000Z' },
      { secret: newSigningSecret(), expiresAt: '2026-11-27T06:00:00.000Z' },
    ],
  });

  it('seal every plain secret of a subscription, current and previous, for its own account and id', async () => {
    const stored = await sealSecrets(plain, key().sealer);

    expect(stored).toEqual({
      ...plain,
      secret: expect.stringMatching(/^kms:/),
      previousSecrets: plain.previousSecrets?.map((p) => ({ ...p, secret: expect.stringMatching(/^kms:/) })),
    });
    expect(requests()).toEqual({ Encrypt: 3 });
    expect(await openSecrets(stored, key().opener, new Date(0))).toEqual(plain);
  });

  it('keep what is sealed already: writing a sealed subscription again costs no KMS request', async () => {
    const stored = await sealSecrets(plain, key().sealer);
    meter.reset();

    expect(await sealSecrets(stored, key().sealer)).toEqual(stored);
    expect(requests()).toEqual({});
  });

  it('open the secrets that sign now, leave out the previous ones whose overlap ended, and take a plain one as it is', async () => {
    const stored = await sealSecrets(plain, key().sealer);
    const legacy = { ...stored, secret: plain.secret };
    meter.reset();

    const opened = await openSecrets(legacy, new KmsSecretOpener(key().kms, key().keyArn), now);

    expect(opened).toEqual({ ...plain, previousSecrets: plain.previousSecrets?.slice(0, 1) });
    expect(requests()).toEqual({ Decrypt: 1 });
  });
});
