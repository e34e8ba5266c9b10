/**
 * The sandbox's KMS: symmetric keys (by id, key ARN, alias name or alias ARN) that encrypt and decrypt for real,
 * with AES-256-GCM under key material of 32 random bytes per key. The encryption context is authenticated data:
 * a ciphertext decrypts only with the context it was encrypted with. Given a directory, the keys are kept in
 * `keys.json` there (mode 0600), so ciphertexts survive a restart; without one they live in memory.
 *
 * Served: `Encrypt`, `Decrypt`, `EnableKey`, `DisableKey`. The ciphertext blob is the sandbox's own format (a
 * version byte, the key's id, the IV, the tag, then the ciphertext): as on AWS, it names its key, so `Decrypt`
 * needs no `KeyId`, and it means nothing to anything but this emulator.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { unknownOperationError } from '../aws-json-protocol.ts';
import type { Meter } from '../meter.ts';
import { disabled, incorrectKey, invalidCiphertext, notFound, validation } from './errors.ts';

/** Options of {@link KmsEmulator.open}. */
export interface KmsEmulatorOptions {
  readonly accountId: string;
  readonly region: string;
  /** Directory to keep the keys in; without it they are in memory. */
  readonly dataDir?: string;
  /** Counts every request as KMS bills it (per operation). */
  readonly meter?: Meter;
}

interface Key {
  readonly id: string;
  readonly material: Buffer;
  enabled: boolean;
}

const stateSchema = z.object({
  keys: z.array(z.object({ id: z.uuid(), material: z.base64(), enabled: z.boolean() })),
  aliases: z.record(z.string(), z.uuid()),
});

/** AWS's bounds on the blobs: a plaintext of 1 to 4,096 bytes, a ciphertext of 1 to 6,144. */
const maxPlaintextBytes = 4096;
const maxCiphertextBytes = 6144;

const blobVersion = 1;
const ivBytes = 12;
const tagBytes = 16;
const headerBytes = 1 + 16 + ivBytes + tagBytes;

const encryptSchema = z.object({
  KeyId: z.optional(z.string()),
  Plaintext: z.optional(z.string()),
  EncryptionContext: z.optional(z.record(z.string(), z.string())),
  EncryptionAlgorithm: z.optional(z.string()),
});

const decryptSchema = z.object({
  KeyId: z.optional(z.string()),
  CiphertextBlob: z.optional(z.string()),
  EncryptionContext: z.optional(z.record(z.string(), z.string())),
  EncryptionAlgorithm: z.optional(z.string()),
});

const keyIdSchema = z.object({ KeyId: z.optional(z.string()) });

/** The encryption context as the bytes it is authenticated as: its pairs sorted by key, so order never matters. */
function contextBytes(context: Readonly<Record<string, string>> | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs));
}

/** The request's members, or a ValidationException naming the first one of the wrong type. */
function inputOf<T>(schema: z.ZodMiniType<T>, input: unknown, operation: string): T {
  const parsed = z.safeParse(schema, input);
  if (!parsed.success) {
    const member = String(parsed.error.issues[0]?.path[0] ?? 'input');
    throw validation(member, 'at', `Member of ${operation} must have the type its model gives it`);
  }
  return parsed.data;
}

/** A base64 blob member, checked against its length bounds. */
function blobOf(value: string | undefined, member: string, maxBytes: number): Buffer {
  if (value === undefined) throw validation(member, 'null', 'Member must not be null');
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 1) throw validation(member, 'at', 'Member must have length greater than or equal to 1');
  if (bytes.length > maxBytes) {
    throw validation(member, 'at', `Member must have length less than or equal to ${maxBytes}`);
  }
  return bytes;
}

export class KmsEmulator {
  readonly #accountId: string;
  readonly #region: string;
  readonly #file: string | undefined;
  readonly #meter: Meter | undefined;
  readonly #keys = new Map<string, Key>();
  readonly #aliases = new Map<string, string>();

  private constructor(options: KmsEmulatorOptions) {
    this.#accountId = options.accountId;
    this.#region = options.region;
    this.#meter = options.meter;
    this.#file = options.dataDir === undefined ? undefined : join(options.dataDir, 'keys.json');
  }

  /** Opens the keys kept in `dataDir` (none yet is fine), or an empty set in memory. */
  static open(options: KmsEmulatorOptions): KmsEmulator {
    const kms = new KmsEmulator(options);
    if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const saved = kms.#file === undefined ? undefined : readIfThere(kms.#file);
    if (saved !== undefined) {
      const state = z.parse(stateSchema, JSON.parse(saved));
      for (const key of state.keys) {
        kms.#keys.set(key.id, {
          id: key.id,
          material: Buffer.from(key.material, 'base64'),
          enabled: key.enabled,
        });
      }
      for (const [alias, id] of Object.entries(state.aliases)) kms.#aliases.set(alias, id);
    }
    return kms;
  }

  /** The ARN of the key that `alias` (`alias/...`) names, made (and kept) the first time it is asked for. */
  ensureKey(alias: string): string {
    if (!/^alias\/[A-Za-z0-9/_-]{1,250}$/.test(alias) || alias.startsWith('alias/aws/')) {
      throw new Error(`Not an alias name a customer may create: ${alias}`);
    }
    let id = this.#aliases.get(alias);
    if (id === undefined) {
      id = randomUUID();
      this.#keys.set(id, { id, material: randomBytes(32), enabled: true });
      this.#aliases.set(alias, id);
      this.#save();
    }
    return this.#arnOf(id);
  }

  /** Runs one operation of the wire API. */
  async handle(operation: string, input: unknown): Promise<unknown> {
    const answer = this.#run(operation, input);
    this.#meter?.kms(operation);
    return answer;
  }

  #run(operation: string, input: unknown): unknown {
    switch (operation) {
      case 'Encrypt':
        return this.#encrypt(inputOf(encryptSchema, input, operation));
      case 'Decrypt':
        return this.#decrypt(inputOf(decryptSchema, input, operation));
      case 'EnableKey':
      case 'DisableKey': {
        const { KeyId } = inputOf(keyIdSchema, input, operation);
        if (KeyId === undefined) throw validation('keyId', 'null', 'Member must not be null');
        const key = this.#resolve(KeyId);
        key.enabled = operation === 'EnableKey';
        this.#save();
        return {};
      }
      default:
        throw unknownOperationError(operation);
    }
  }

  #encrypt(input: z.infer<typeof encryptSchema>) {
    if (input.KeyId === undefined) throw validation('keyId', 'null', 'Member must not be null');
    const plaintext = blobOf(input.Plaintext, 'plaintext', maxPlaintextBytes);
    const key = this.#usable(this.#resolve(input.KeyId));
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(contextBytes(input.EncryptionContext));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const blob = Buffer.concat([
      Buffer.from([blobVersion]),
      uuidBytes(key.id),
      iv,
      cipher.getAuthTag(),
      sealed,
    ]);
    return {
      CiphertextBlob: blob.toString('base64'),
      KeyId: this.#arnOf(key.id),
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    };
  }

  #decrypt(input: z.infer<typeof decryptSchema>) {
    const blob = blobOf(input.CiphertextBlob, 'ciphertextBlob', maxCiphertextBytes);
    if (blob.length <= headerBytes || blob[0] !== blobVersion) throw invalidCiphertext();
    const keyId = uuidOf(blob.subarray(1, 17));
    const named = this.#keys.get(keyId);
    if (input.KeyId !== undefined && this.#resolve(input.KeyId).id !== keyId) throw incorrectKey();
    // A ciphertext that names no key here was never made here: to the caller it is just invalid.
    if (named === undefined) throw invalidCiphertext();
    const key = this.#usable(named);
    const decipher = createDecipheriv('aes-256-gcm', key.material, blob.subarray(17, 17 + ivBytes));
    decipher.setAAD(contextBytes(input.EncryptionContext));
    decipher.setAuthTag(blob.subarray(17 + ivBytes, headerBytes));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(blob.subarray(headerBytes)), decipher.final()]);
    } catch {
      throw invalidCiphertext();
    }
    return {
      KeyId: this.#arnOf(key.id),
      Plaintext: plaintext.toString('base64'),
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    };
  }

  /** The key a KeyId names: a key id, a key ARN, an alias name or an alias ARN of this account and region. */
  #resolve(keyId: string): Key {
    const arnPrefix = `arn:aws:kms:${this.#region}:${this.#accountId}:`;
    const local = keyId.startsWith(arnPrefix) ? keyId.slice(arnPrefix.length) : keyId;
    if (local.startsWith('alias/')) {
      const id = this.#aliases.get(local);
      const key = id === undefined ? undefined : this.#keys.get(id);
      if (key === undefined) throw notFound(`Alias ${arnPrefix}${local} is not found.`);
      return key;
    }
    const id = local.startsWith('key/') ? local.slice('key/'.length) : local;
    const key = this.#keys.get(id);
    if (key === undefined) {
      throw notFound(
        /^[0-9a-f-]{36}$/.test(id) ? `Key '${this.#arnOf(id)}' does not exist` : `Invalid keyId '${keyId}'`,
      );
    }
    return key;
  }

  #usable(key: Key): Key {
    if (!key.enabled) throw disabled(this.#arnOf(key.id));
    return key;
  }

  #arnOf(id: string): string {
    return `arn:aws:kms:${this.#region}:${this.#accountId}:key/${id}`;
  }

  /** Writes the keys to a new file and renames it over the old one, so a crash never leaves half a file. */
  #save(): void {
    if (this.#file === undefined) return;
    const state: z.infer<typeof stateSchema> = {
      keys: [...this.#keys.values()].map((key) => ({
        id: key.id,
        material: key.material.toString('base64'),
        enabled: key.enabled,
      })),
      aliases: Object.fromEntries(this.#aliases),
    };
    const temp = `${this.#file}.tmp`;
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.#file);
  }
}

function readIfThere(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const uuidBytes = (id: string) => Buffer.from(id.replaceAll('-', ''), 'hex');

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
