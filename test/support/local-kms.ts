import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll } from 'vitest';
import { KmsSecretOpener, KmsSecretSealer } from '#core/aws/kms-secrets.ts';
import { openSecrets } from '#core/subscriptions/secret-box.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { handleAwsJsonRequest } from '../../sandbox/aws-json-protocol.ts';
import { KMS_NAMESPACE, KMS_TARGET_PREFIX, KmsEmulator } from '../../sandbox/kms/index.ts';
import type { Meter } from '../../sandbox/meter.ts';
import { credentials } from './clients.ts';

/** The sandbox's KMS on loopback, a key of it, and the SDK's client. */
export interface LocalKms {
  readonly emulator: KmsEmulator;
  readonly client: KMSClient;
  /** The ARN of the key `alias` named. */
  readonly keyArn: string;
  close(): Promise<void>;
}

/**
 * The sandbox's KMS behind an HTTP server on 127.0.0.1, as the sandbox serves it, with a key under `alias`
 * (made unless `dataDir` keeps it already) and an SDK client pointed at it. In memory without `dataDir`; given a
 * meter, it counts the requests.
 */
export async function startLocalKms(
  options: { readonly dataDir?: string; readonly meter?: Meter; readonly alias?: string } = {},
): Promise<LocalKms> {
  const emulator = KmsEmulator.open({
    accountId: '000000000000',
    region: 'us-east-1',
    dataDir: options.dataDir,
    meter: options.meter,
  });
  const keyArn = emulator.ensureKey(options.alias ?? 'alias/test/signing-secrets');
  const server = createServer((req, res) => {
    void handleAwsJsonRequest(req, res, {
      namespace: KMS_NAMESPACE,
      jsonVersion: '1.1',
      targetPrefix: KMS_TARGET_PREFIX,
      handle: (operation, input) => emulator.handle(operation, input),
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const client = new KMSClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });
  return {
    emulator,
    client,
    keyArn,
    close: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** The signing secrets' key on the sandbox's KMS, and the API's and the delivery functions' adapters of it. */
export interface LocalSecretKey {
  readonly kms: KMSClient;
  readonly keyArn: string;
  readonly sealer: KmsSecretSealer;
  readonly opener: KmsSecretOpener;
  /** A subscription as read from the table with every secret opened, the previous ones whatever their expiry. */
  readonly opened: (read: Subscription | undefined) => Promise<Subscription | undefined>;
}

/**
 * A key for the signing secrets on the sandbox's KMS (in memory) for the test file (started before its tests,
 * closed after them): the secret adapters talk to it as they talk to KMS. Given a meter, it counts the requests.
 */
export function useLocalSecretKey(meter?: Meter): () => LocalSecretKey {
  let started: LocalKms | undefined;
  let local: LocalSecretKey | undefined;
  beforeAll(async () => {
    started = await startLocalKms({ meter });
    const { client: kms, keyArn } = started;
    const opener = new KmsSecretOpener(kms, keyArn);
    local = {
      kms,
      keyArn,
      sealer: new KmsSecretSealer(kms, keyArn),
      opener,
      opened: async (read) => read && openSecrets(read, opener, new Date(0)),
    };
  });
  afterAll(() => started?.close());
  return () => {
    if (local === undefined) throw new Error('The local KMS is not started yet');
    return local;
  };
}
