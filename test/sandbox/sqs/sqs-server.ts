/** A minimal HTTP server in front of an {@link SqsEmulator}, as the sandbox serves it, for wire-level tests. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach } from 'vitest';
import { handleAwsJsonRequest } from '#sandbox/aws-json-protocol.ts';
import {
  SQS_NAMESPACE,
  SQS_TARGET_PREFIX,
  SqsEmulator,
  type SqsEmulatorOptions,
} from '#sandbox/sqs/index.ts';

export interface SqsTestServer {
  readonly endpoint: string;
  readonly emulator: SqsEmulator;
  readonly client: SQSClient;
  close(): Promise<void>;
}

/** Starts an emulator behind `http.createServer` on 127.0.0.1, port 0, with an SDK client pointed at it. */
export async function startSqsServer(
  options: Omit<SqsEmulatorOptions, 'baseUrl' | 'accountId' | 'region'> = {},
): Promise<SqsTestServer> {
  let emulator: SqsEmulator | undefined;
  const server = createServer((req, res) => {
    void handleAwsJsonRequest(req, res, {
      namespace: SQS_NAMESPACE,
      targetPrefix: SQS_TARGET_PREFIX,
      handle: (operation, input, signal) => {
        if (emulator === undefined) throw new Error('SQS emulator not started');
        return emulator.handle(operation, input, signal);
      },
      onInternalError: (error) => console.error(error),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator = await SqsEmulator.open({
    ...options,
    baseUrl: endpoint,
    accountId: '000000000000',
    region: 'us-east-1',
  });
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const started = emulator;
  return {
    endpoint,
    emulator: started,
    client,
    close: async () => {
      client.destroy();
      await started.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A server for each test of the file, on a clock of the test's own that starts at `start` (epoch ms) and moves
 * only by `advance`. `sqs` stands for the current test's server.
 */
export function useSqsServerOnAClock(start: number) {
  const clock = { now: start };
  let current: SqsTestServer | undefined;
  beforeEach(async () => {
    clock.now = start;
    current = await startSqsServer({ now: () => clock.now });
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const started = (): SqsTestServer => {
    if (current === undefined) throw new Error('The SQS test server runs only within a test');
    return current;
  };
  const sqs: SqsTestServer = {
    get endpoint() {
      return started().endpoint;
    },
    get emulator() {
      return started().emulator;
    },
    get client() {
      return started().client;
    },
    close: () => started().close(),
  };
  return {
    sqs,
    clock,
    advance: (seconds: number) => {
      clock.now += seconds * 1000;
    },
  };
}
