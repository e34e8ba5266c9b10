import { createServer, type Server } from 'node:http';
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
 * A key for the signing secrets on the sandbox's KMS (in memory), served over HTTP on loopback for the test
 * file (started before its tests, closed after them): the secret adapters talk to it as they talk to KMS.
 * Given a meter, it counts the KMS requests.
 */
export function useLocalSecretKey(meter?: Meter): () => LocalSecretKey {
  let server: Server | undefined;
  let local: LocalSecretKey | undefined;
  beforeAll(async () => {
    const emulator = KmsEmulator.open({ accountId: '000000000000', region: 'us-east-1', meter });
    const keyArn = emulator.ensureKey('alias/test/signing-secrets');
    server = createServer((req, res) => {
      void handleAwsJsonRequest(req, res, {
        namespace: KMS_NAMESPACE,
        jsonVersion: '1.1',
        targetPrefix: KMS_TARGET_PREFIX,
        handle: (operation, input) => emulator.handle(operation, input),
      });
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server?.once('listening', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials });
    const opener = new KmsSecretOpener(kms, keyArn);
    local = {
      kms,
      keyArn,
      sealer: new KmsSecretSealer(kms, keyArn),
      opener,
      opened: async (read) => read && openSecrets(read, opener, new Date(0)),
    };
  });
  afterAll(() => {
    local?.kms.destroy();
    server?.closeAllConnections();
    server?.close();
  });
  return () => {
    if (local === undefined) throw new Error('The local KMS is not started yet');
    return local;
  };
}
