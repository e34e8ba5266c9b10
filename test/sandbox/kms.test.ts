/**
 * The sandbox's KMS over its wire protocol (AWS JSON 1.1, `TrentService.*`), through the AWS SDK's own client:
 * each test names the rule of AWS's KMS documentation (API reference: Encrypt, Decrypt, DisableKey; Developer
 * Guide: Encryption context) that it holds the emulator to.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DecryptCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  type KMSClient,
  KMSServiceException,
} from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import type { KmsEmulator } from '#sandbox/kms/index.ts';
import { Meter } from '#sandbox/meter.ts';
import { startLocalKms } from '../support/local-kms.ts';

const region = 'us-east-1';
const accountId = '000000000000';
const alias = 'alias/test/secrets';

interface KmsTestServer {
  readonly kms: KmsEmulator;
  readonly client: KMSClient;
  readonly keyArn: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An emulator behind an HTTP server on 127.0.0.1, as the sandbox serves it, with the SDK's client. */
async function startKms(options: { dataDir?: string; meter?: Meter } = {}): Promise<KmsTestServer> {
  const started = await startLocalKms({ ...options, alias });
  cleanups.push(started.close);
  return { kms: started.emulator, client: started.client, keyArn: started.keyArn };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kms-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The SDK's exception for a call that must fail, as name and message. */
async function failure(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  const error = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(error instanceof KMSServiceException)) throw new Error(`expected a KMS error, got ${String(error)}`);
  return { name: error.name, message: error.message };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => new TextDecoder().decode(data);
const context = { account_id: 'acct_1', subscription_id: 'sub_1' };

describe('KMS Encrypt and Decrypt', () => {
  it('Encrypt answers a CiphertextBlob, the key ARN as KeyId and SYMMETRIC_DEFAULT; Decrypt gives the plaintext back', async () => {
    const { client, keyArn } = await startKms();
    const encrypted = await client.send(
      new EncryptCommand({ KeyId: alias, Plaintext: bytes('whsec_abc'), EncryptionContext: context }),
    );
    expect(encrypted.KeyId).toBe(keyArn);
    expect(keyArn).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/);
    expect(encrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    expect(text(encrypted.CiphertextBlob)).not.toContain('whsec_abc');

    const decrypted = await client.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }),
    );
    expect({ ...decrypted, $metadata: undefined, Plaintext: text(decrypted.Plaintext) }).toEqual({
      $metadata: undefined,
      KeyId: keyArn,
      Plaintext: 'whsec_abc',
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    });
  });

  it('Encrypt takes the key by key id, key ARN, alias name or alias ARN', async () => {
    const { client, keyArn } = await startKms();
    const keyId = keyArn.slice(keyArn.lastIndexOf('/') + 1);
    const names = [keyId, keyArn, alias, `arn:aws:kms:${region}:${accountId}:${alias}`];
    for (const KeyId of names) {
      const answer = await client.send(new EncryptCommand({ KeyId, Plaintext: bytes('x') }));
      expect(answer.KeyId).toBe(keyArn);
    }
  });

  it('encrypting the same plaintext twice gives two different ciphertexts (a random IV each time)', async () => {
    const { client } = await startKms();
    const once = await client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('same') }));
    const twice = await client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('same') }));
    expect(Buffer.from(once.CiphertextBlob ?? []).equals(Buffer.from(twice.CiphertextBlob ?? []))).toBe(
      false,
    );
  });

  it('Decrypt of a symmetric ciphertext needs no KeyId: the ciphertext names its key', async () => {
    const { client } = await startKms();
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('x') }));
    const answer = await client.send(new DecryptCommand({ CiphertextBlob }));
    expect(text(answer.Plaintext)).toBe('x');
  });
});

describe('KMS encryption context (Developer Guide: "the same, an exact case-sensitive match")', () => {
  it('Decrypt with another encryption context, or none, is InvalidCiphertextException', async () => {
    const { client } = await startKms();
    const { CiphertextBlob } = await client.send(
      new EncryptCommand({ KeyId: alias, Plaintext: bytes('x'), EncryptionContext: context }),
    );
    const others: (Record<string, string> | undefined)[] = [
      undefined,
      {},
      { ...context, subscription_id: 'sub_2' },
      { ...context, extra: 'pair' },
      { account_id: 'acct_1' },
      { ACCOUNT_ID: 'acct_1', subscription_id: 'sub_1' },
    ];
    for (const EncryptionContext of others) {
      expect(await failure(client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext })))).toEqual({
        name: 'InvalidCiphertextException',
        message: 'UnknownError',
      });
    }
  });

  it('the order of the encryption context pairs does not matter', async () => {
    const { client } = await startKms();
    const { CiphertextBlob } = await client.send(
      new EncryptCommand({ KeyId: alias, Plaintext: bytes('x'), EncryptionContext: { a: '1', b: '2' } }),
    );
    const answer = await client.send(
      new DecryptCommand({ CiphertextBlob, EncryptionContext: { b: '2', a: '1' } }),
    );
    expect(text(answer.Plaintext)).toBe('x');
  });

  it('a ciphertext changed by one bit is InvalidCiphertextException', async () => {
    const { client } = await startKms();
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('x') }));
    const tampered = Buffer.from(CiphertextBlob ?? []);
    tampered[tampered.length - 1] = (tampered.at(-1) ?? 0) ^ 1;
    expect((await failure(client.send(new DecryptCommand({ CiphertextBlob: tampered })))).name).toBe(
      'InvalidCiphertextException',
    );
    expect(
      (await failure(client.send(new DecryptCommand({ CiphertextBlob: bytes('not a ciphertext') })))).name,
    ).toBe('InvalidCiphertextException');
  });
});

describe('KMS errors as AWS names them', () => {
  it('an unknown key, alias or key id is NotFoundException', async () => {
    const { client } = await startKms();
    const unknownKey = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000';
    expect(
      await failure(client.send(new EncryptCommand({ KeyId: unknownKey, Plaintext: bytes('x') }))),
    ).toEqual({
      name: 'NotFoundException',
      message: `Key '${unknownKey}' does not exist`,
    });
    expect(
      await failure(client.send(new EncryptCommand({ KeyId: 'alias/none', Plaintext: bytes('x') }))),
    ).toEqual({
      name: 'NotFoundException',
      message: 'Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.',
    });
    expect(
      (await failure(client.send(new EncryptCommand({ KeyId: 'nonsense', Plaintext: bytes('x') })))).name,
    ).toBe('NotFoundException');
  });

  it('Decrypt with a KeyId other than the ciphertext’s key is IncorrectKeyException', async () => {
    const { client, kms } = await startKms();
    const other = kms.ensureKey('alias/test/other');
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('x') }));
    expect((await failure(client.send(new DecryptCommand({ CiphertextBlob, KeyId: other })))).name).toBe(
      'IncorrectKeyException',
    );
  });

  it('a Plaintext over 4,096 bytes is a ValidationException', async () => {
    const { client } = await startKms();
    expect(
      await failure(client.send(new EncryptCommand({ KeyId: alias, Plaintext: new Uint8Array(4097) }))),
    ).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    });
    const atMost = await client.send(new EncryptCommand({ KeyId: alias, Plaintext: new Uint8Array(4096) }));
    expect(atMost.CiphertextBlob?.length).toBeGreaterThan(4096);
  });

  it('a disabled key neither encrypts nor decrypts (DisabledException) until it is enabled again', async () => {
    const { client, keyArn } = await startKms();
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('x') }));
    await client.send(new DisableKeyCommand({ KeyId: keyArn }));
    const disabled = { name: 'DisabledException', message: `${keyArn} is disabled.` };
    expect(await failure(client.send(new DecryptCommand({ CiphertextBlob })))).toEqual(disabled);
    expect(await failure(client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('x') })))).toEqual(
      disabled,
    );
    await client.send(new EnableKeyCommand({ KeyId: keyArn }));
    expect(text((await client.send(new DecryptCommand({ CiphertextBlob }))).Plaintext)).toBe('x');
  });
});

describe('the sandbox’s keys', () => {
  it('survive a restart: a ciphertext made before decrypts after, and the alias names the same key', async () => {
    const dataDir = await tempDir();
    const first = await startKms({ dataDir });
    const { CiphertextBlob } = await first.client.send(
      new EncryptCommand({ KeyId: alias, Plaintext: bytes('kept'), EncryptionContext: context }),
    );

    const second = await startKms({ dataDir });
    expect(second.keyArn).toBe(first.keyArn);
    const answer = await second.client.send(
      new DecryptCommand({ CiphertextBlob, EncryptionContext: context }),
    );
    expect(text(answer.Plaintext)).toBe('kept');
    expect((await stat(join(dataDir, 'keys.json'))).mode & 0o777).toBe(0o600);
  });

  it('in memory, a new emulator has new keys: an old ciphertext is invalid there', async () => {
    const first = await startKms();
    const { CiphertextBlob } = await first.client.send(
      new EncryptCommand({ KeyId: alias, Plaintext: bytes('x') }),
    );
    const second = await startKms();
    expect(second.keyArn).not.toBe(first.keyArn);
    expect((await failure(second.client.send(new DecryptCommand({ CiphertextBlob })))).name).toBe(
      'InvalidCiphertextException',
    );
  });

  it('a disabled key stays disabled across a restart', async () => {
    const dataDir = await tempDir();
    const first = await startKms({ dataDir });
    await first.client.send(new DisableKeyCommand({ KeyId: alias }));
    const saved = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as {
      keys: { enabled: boolean }[];
    };
    expect(saved.keys.map((key) => key.enabled)).toEqual([false]);
    const second = await startKms({ dataDir });
    expect(
      (await failure(second.client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('x') })))).name,
    ).toBe('DisabledException');
  });
});

describe('the KMS emulator’s meter', () => {
  it('counts each request answered, by operation (KMS bills per request)', async () => {
    const meter = new Meter();
    const { client } = await startKms({ meter });
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: alias, Plaintext: bytes('x') }));
    await client.send(new DecryptCommand({ CiphertextBlob }));
    await client.send(new DecryptCommand({ CiphertextBlob }));
    await failure(client.send(new EncryptCommand({ KeyId: 'alias/none', Plaintext: bytes('x') })));
    expect(meter.snapshot().kms).toEqual({ Encrypt: 1, Decrypt: 2 });
    meter.reset();
    expect(meter.snapshot().kms).toEqual({});
  });
});
