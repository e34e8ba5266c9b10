/**
 * Bundles every handler of platform.ts with the esbuild options the CDK app deploys (lib/bundling.ts) and
 * imports each bundle in a fresh Node process with only the environment Lambda would give it: proof that the
 * deployed artefact loads (ES module output, the createRequire banner, bundled dependencies).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, functions } from '../../functions/core/platform.ts';
import { bundleFileName } from '../../lib/bundling.ts';
import { runtimeEnvironment } from '../../lib/platform-function.ts';
import { bundleHandler, declaredEnvironment } from '../support/handler-bundles.ts';

const run = promisify(execFile);

const importBundle = `
let bundle;
try {
  bundle = await import(process.env.BUNDLE_URL);
} catch (error) {
  // The stack quotes the minified line; the message says what failed.
  console.error(error instanceof Error ? \`\${error.name}: \${error.message}\` : String(error));
  process.exit(1);
}
if (typeof bundle.handler !== 'function') {
  console.error('the bundle exports no handler function');
  process.exit(2);
}
`;

const names = Object.keys(functions) as FunctionName[];
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'hookbridge-bundles-'));
  await Promise.all(names.map((name) => bundleHandler(functions[name].entry, join(outDir, name))));
});

afterAll(async () => {
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

/** Imports the bundle of `name` in a fresh Node process with the runtime's and the given environment. */
function loadBundle(name: FunctionName, environment: Record<string, string>) {
  return run(process.execPath, ['--input-type=module', '-e', importBundle], {
    cwd: outDir,
    timeout: 20_000,
    env: {
      ...runtimeEnvironment,
      ...environment,
      BUNDLE_URL: pathToFileURL(join(outDir, name, bundleFileName)).href,
      AWS_REGION: 'eu-west-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
}

describe('handler bundles', () => {
  it('bundles every handler of platform.ts, the retry relay included', () => {
    expect(names).toEqual([
      'authorizer',
      'api',
      'fanOut',
      'delivery',
      'slowDelivery',
      'orderedDelivery',
      'retryRelay',
    ]);
  });

  it.each(names)('%s bundles to an ES module that loads with only its declared environment', async (name) => {
    const bundle = join(outDir, name, bundleFileName);
    expect((await stat(`${bundle}.map`)).isFile()).toBe(true);

    const loading = loadBundle(name, declaredEnvironment(name)).catch(
      (error: { stderr?: string; message: string }) => {
        throw new Error(
          `${functions[name].entry} does not load from its bundle: ${error.stderr ?? error.message}`,
        );
      },
    );
    expect((await loading).stderr).toBe('');
  });

  it('signs its AWS calls with the credentials Lambda puts in the environment (no other credential chain)', async () => {
    // A stand-in for SQS on loopback: it keeps what the retry relay's bundle sends and answers 500.
    const seen: IncomingHttpHeaders[] = [];
    const sqs = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on('end', () => response.writeHead(500).end());
    });
    sqs.listen(0, '127.0.0.1');
    await once(sqs, 'listening');
    const endpoint = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`;
    const waiting = {
      id: 'msg_bundle',
      accountId: 'acct_1',
      subscriptionId: 'sub_1',
      eventId: 'evt_1',
      eventType: 'order.created',
      body: '{}',
      attempt: 2,
      trigger: 'retry',
      dueAt: Date.now(),
    };
    const invoke = `${importBundle}
const result = await bundle.handler({ Records: [{ messageId: 'm1', body: ${JSON.stringify(JSON.stringify(waiting))},
  eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:retry', attributes: {}, messageAttributes: {} }] }, {});
console.log(JSON.stringify(result));`;
    try {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', invoke], {
        cwd: outDir,
        timeout: 20_000,
        env: {
          ...runtimeEnvironment,
          ...declaredEnvironment('retryRelay'),
          // The SQS client sends to the host of the queue's URL.
          DELIVERY_QUEUE_URL: `${endpoint}/123456789012/delivery`,
          RETRY_QUEUE_URL: `${endpoint}/123456789012/retry`,
          BUNDLE_URL: pathToFileURL(join(outDir, 'retryRelay', bundleFileName)).href,
          AWS_REGION: 'eu-west-1',
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: 'AKIDFROMLAMBDAENV',
          AWS_SECRET_ACCESS_KEY: 'secret-from-the-environment',
          AWS_SESSION_TOKEN: 'session-token-from-the-environment',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_MAX_ATTEMPTS: '1',
        },
      });
      // SQS failed (500), so the record is reported for a retry rather than lost.
      expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
        batchItemFailures: [{ itemIdentifier: 'm1' }],
      });
    } finally {
      sqs.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFROMLAMBDAENV\//);
    expect(seen[0]?.['x-amz-security-token']).toBe('session-token-from-the-environment');
  });

  it('leaves the SDK’s other credential providers out of every bundle', async () => {
    const providers = /SSOClient|AssumeRoleWithWebIdentity|fromTokenFile/g;
    for (const name of names) {
      const code = await readFile(join(outDir, name, bundleFileName), 'utf8');
      expect([name, code.match(providers) ?? []]).toEqual([name, []]);
    }
  });

  it('refuses to load with a bad setting, naming the variable', async () => {
    const loading = loadBundle('delivery', { ...declaredEnvironment('delivery'), RETRY_SCHEDULE: '5,soon' });
    await expect(loading).rejects.toMatchObject({
      stderr: expect.stringContaining('EnvironmentError: Environment: RETRY_SCHEDULE is not valid'),
    });
  });
});
