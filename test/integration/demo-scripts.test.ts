import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventDetailSchema, eventTypes } from '#core/events/catalog.ts';
import { demoEvent, isDemoEventType } from '../../bin/demo-events.ts';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
import { api } from '../support/clients.ts';
import { freePort } from '../support/sandbox-process.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const stackTrace = /^\s+at /m;

/** A script of bin/ by its name, or any other file by its path from the project root. */
type Script = 'publish-event' | 'demo-receiver' | 'sandbox' | `${string}.ts`;

const fileOf = (script: Script) => (script.endsWith('.ts') ? script : `bin/${script}.ts`);

/** The npm scripts that run a file of ours, with that file (the others run other tools: cdk, biome, tsc, vitest). */
const ourNpmScripts = Object.entries(
  (JSON.parse(readFileSync(`${projectRoot}/package.json`, 'utf8')) as { scripts: Record<string, string> })
    .scripts,
).flatMap(([name, command]) => {
  // npm start runs node --import tsx (bin/stop-on-signal.ts says why); the others tsx.
  const file = /^(?:tsx|node --import tsx) (\S+\.ts)$/.exec(command)?.[1] as `${string}.ts` | undefined;
  return file === undefined ? [] : [[name, file] as const];
});

function spawnScript(script: Script, args: string[], env: Record<string, string> = {}): ChildProcess {
  const { WEBHOOK_SECRET: _inherited, ...inherited } = process.env;
  return spawn(process.execPath, ['--import', 'tsx', fileOf(script), ...args], {
    cwd: projectRoot,
    env: { ...inherited, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a script to its end, as a user runs it from a terminal. */
async function run(script: Script, args: string[], env: Record<string, string> = {}) {
  const child = spawnScript(script, args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A long-running script (the receiver) whose printed lines, stdout and stderr, a test can wait for. */
function startScript(script: Script, args: string[], env: Record<string, string> = {}) {
  const child = spawnScript(script, args, env);
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      lines.push(...complete);
      for (const listener of listeners) listener();
    });
  }
  return {
    lines,
    /** Resolves with the first line (after the first `from` lines) that contains every one of `texts`. */
    waitForLine(texts: string[], from = 0, timeoutMs = 20_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.slice(from).find((candidate) => texts.every((text) => candidate.includes(text)));
          if (line === undefined) return;
          cleanUp();
          resolve(line);
        };
        const exited = () => {
          cleanUp();
          reject(new Error(`bin/${script}.ts exited. Output:\n${lines.join('\n')}`));
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(
            new Error(`bin/${script}.ts printed no line with ${texts.join(', ')}:\n${lines.join('\n')}`),
          );
        }, timeoutMs);
        const cleanUp = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', exited);
        };
        listeners.add(check);
        child.once('exit', exited);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

let sandbox: Sandbox;
const running: ReturnType<typeof startScript>[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, logLevel: 'SILENT' });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((script) => script.stop()));
});

afterAll(async () => {
  await sandbox?.close();
});

/** A receiver script on a free port with this secret, once it says it is listening. */
async function startReceiverScript(secret: string) {
  const port = await freePort();
  const receiver = startScript('demo-receiver', ['--port', String(port)], { WEBHOOK_SECRET: secret });
  running.push(receiver);
  await receiver.waitForLine([`Receiving webhooks on http://127.0.0.1:${port}`]);
  return { ...receiver, url: `http://127.0.0.1:${port}/webhooks` };
}

describe('the demo scripts on the command line', () => {
  it('every npm script that runs a file of ours is checked below', () => {
    expect(ourNpmScripts.map(([name]) => name).sort()).toEqual([
      'bench',
      'build:portal',
      'demo:publish',
      'demo:receiver',
      'docs:settings',
      'keys',
      'portal:screenshot',
      'seal-secrets',
      'start',
    ]);
  });

  // Side by side: each is a process of its own that mostly waits on loading its modules.
  it.concurrent.for(ourNpmScripts)(
    'npm run %s -- --help prints its usage and exits 0',
    async ([name, file], { expect }) => {
      const { code, stdout, stderr } = await run(file, ['--help']);

      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const command = name === 'start' ? 'npm start' : `npm run ${name}`;
      // The command as a user types it, after any variable it needs (demo:receiver's WEBHOOK_SECRET=...).
      expect(stdout.split('\n')[0]).toMatch(new RegExp(`^Usage: (\\S+=\\S+ )?${command}( |$)`));
      expect(stdout).toContain('--help');
      expect(stdout).not.toMatch(stackTrace);
    },
  );

  it('the receiver documents its WEBHOOK_SECRET and the publisher every event type', async () => {
    const receiver = await run('demo-receiver', ['--help']);
    const publisher = await run('publish-event', ['--help']);

    expect(receiver.stdout).toMatch(/^ {2}WEBHOOK_SECRET {2}/m);
    for (const type of eventTypes) expect(publisher.stdout).toContain(type);
  });

  it('demo:publish refuses a type outside the catalog with exit 2, naming the valid ones', async () => {
    const { code, stdout, stderr } = await run('publish-event', ['--type', 'order.shipped']);

    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    const [first, blank, usage] = stderr.split('\n');
    expect(first).toContain("--type 'order.shipped' is not in the event catalog; valid types: ");
    for (const type of eventTypes) expect(first).toContain(type);
    expect(blank).toBe('');
    expect(usage).toBe('Usage: npm run demo:publish -- [options]');
    expect(stderr).not.toMatch(stackTrace);
  });

  it.concurrent.for([
    ['publish-event', ['--bogus'], "Unknown option '--bogus'"],
    ['publish-event', ['--count', '0'], "--count must be a whole number from 1 to 1000, not '0'"],
    ['publish-event', ['--count', '1001'], "--count must be a whole number from 1 to 1000, not '1001'"],
    ['publish-event', ['--endpoint', '127.0.0.1:4566'], '--endpoint must be an http:// or https:// URL'],
    [
      'publish-event',
      ['--occurred-at', 'yesterday'],
      '--occurred-at must be an ISO 8601 time with an offset',
    ],
    ['publish-event', ['--occurred-at', '2026-12-01T10:00:00'], "not '2026-12-01T10:00:00'"],
    ['publish-event', ['--actor', ''], '--actor must be 1 to 256 characters'],
    ['demo-receiver', ['--port', 'http'], "--port must be a whole number from 0 to 65535, not 'http'"],
    ['demo-receiver', ['webhooks'], "Unexpected argument 'webhooks'"],
    ['sandbox', ['--port', '70000'], "--port must be a whole number from 0 to 65535, not '70000'"],
    ['sandbox', ['--api-key', 'has space'], '--api-key must be printable ASCII characters without spaces'],
    ['sandbox', ['--api-key', 'whp_x'], '--api-key must not start with whp_, which marks portal links'],
    ['portal/build.ts', ['--bogus'], "Unknown option '--bogus'"],
    ['portal/screenshot.ts', ['--bogus'], "Unknown option '--bogus'"],
    ['bin/docs-settings.ts', ['--bogus'], "Unknown option '--bogus'"],
    ['bench/index.ts', ['--bogus'], "Unknown option '--bogus'"],
    ['bench/index.ts', ['isolaton'], "Unknown section 'isolaton'"],
  ] as const)(
    '%s %j is a usage error: one line, the usage, exit 2',
    async ([script, args, message], { expect }) => {
      const { code, stdout, stderr } = await run(script, [...args], { WEBHOOK_SECRET: 'whsec_c2VjcmV0' });

      expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
      const [first, blank, usage] = stderr.split('\n');
      expect(first).toContain(message);
      expect(blank).toBe('');
      expect(usage).toMatch(/^Usage: /);
      expect(stderr).not.toMatch(stackTrace);
    },
  );

  it('demo:publish to a port where nothing listens says so in one line and exits 1', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;

    const { code, stdout, stderr } = await run('publish-event', ['--endpoint', endpoint]);

    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      `Nothing answers at ${endpoint}: start the sandbox with npm start, or point --endpoint at it.\n`,
    );
  });

  it('demo:receiver on a port in use says so in one line and exits 1', async () => {
    const port = new URL(sandbox.endpoint).port;

    const { code, stdout, stderr } = await run('demo-receiver', ['--port', port], {
      WEBHOOK_SECRET: 'whsec_c2VjcmV0',
    });

    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      `Port ${port} is in use. Pick another with --port N, and put that port in the subscription's URL.\n`,
    );
  });

  it.each([
    ['', 'Set WEBHOOK_SECRET to the subscription secret'],
    ['c2VjcmV0', 'WEBHOOK_SECRET does not start with whsec_.'],
    ['whsec_not base64', 'WEBHOOK_SECRET is not a valid secret'],
  ])(
    'demo:receiver with WEBHOOK_SECRET=%j says what is wrong in one line and exits 1',
    async (secret, message) => {
      const { code, stdout, stderr } = await run('demo-receiver', ['--port', '0'], {
        WEBHOOK_SECRET: secret,
      });

      expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
      expect(stderr.split('\n')).toEqual([expect.stringContaining(message), '']);
    },
  );
});

describe('the demo events', () => {
  it('has a plausible event for every type of the catalog, with previous values for changes only', () => {
    for (const type of eventTypes) {
      expect(isDemoEventType(type)).toBe(true);
      if (!isDemoEventType(type)) continue;
      const event = demoEvent(type, 'demo');

      expect(eventDetailSchema.parse(event.detail)).toEqual(event.detail);
      expect(event.detail.data.id).toBe(event.detail.id);
      expect(event.source).toBe(`shipping.${type.slice(0, type.indexOf('.'))}s`);
    }
    expect(isDemoEventType('order.shipped')).toBe(false);
  });

  it('describes an order status change and a tracking update by what they were before', () => {
    const status = demoEvent('order.status_updated', 'acct_1').detail;
    const tracking = demoEvent('shipment.tracking_updated', 'acct_1', 2).detail;

    expect(status).toMatchObject({
      account_id: 'acct_1',
      id: 'ord_1042',
      data: { id: 'ord_1042', order_number: '1042', status: 'Shipped', totals: { total: '32.39' } },
      previous: { status: 'Initiated' },
    });
    expect(tracking).toMatchObject({
      id: 'shp_7303',
      data: { id: 'shp_7303', order_id: 'ord_1044', carrier: 'UPS', status: 'InTransit' },
      previous: { status: 'LabelCreated', tracking_events: [] },
    });
    expect(demoEvent('shipment.created', 'acct_1').detail).not.toHaveProperty('previous');
  });
});

describe('the demo end to end: publish an event and watch it arrive', () => {
  it('the receiver verifies and prints the shipment.created event that demo:publish put on the bus', async () => {
    const port = await freePort();
    const created = await api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
      name: 'Demo receiver',
      url: `http://127.0.0.1:${port}/webhooks`,
      events: ['shipment.created'],
    });
    expect(created.status).toBe(201);
    const receiver = startScript('demo-receiver', ['--port', String(port)], {
      WEBHOOK_SECRET: String(created.json?.secret),
    });
    running.push(receiver);
    await receiver.waitForLine([`Receiving webhooks on http://127.0.0.1:${port}`]);

    const published = await run('publish-event', [
      '--type',
      'shipment.created',
      '--endpoint',
      sandbox.endpoint,
    ]);

    expect({ code: published.code, stderr: published.stderr }).toEqual({ code: 0, stderr: '' });
    expect(published.stdout).toMatch(/^Sent shipment\.created shp_7301 \(EventId [\w-]+\)\n$/);
    const verified = await receiver.waitForLine(['Verified ', 'shipment.created']);
    expect(verified).toMatch(/^Verified msg_\S+ shipment\.created$/);
    const start = receiver.lines.indexOf(verified) + 1;
    await receiver.waitForLine(['"tracking_number": "1Z999AA1123456784"'], start);
    await receiver.waitForLine(['}'], start);
    expect(receiver.lines.slice(start)).toEqual(
      expect.arrayContaining([
        '{',
        expect.stringMatching(/^ {2}"id": "evt_[0-9a-z]{26}",$/),
        '  "type": "shipment.created",',
        '  "data": {',
        '    "id": "shp_7301",',
        '}',
      ]),
    );
  });

  it('with JWT_KEY the receiver takes a jwt webhook as a Shipmondo integration does: its verification, then the event', async () => {
    const port = await freePort();
    const key = 'my-webhook-key-of-thirty-two-bytes';
    const receiver = startScript('demo-receiver', ['--port', String(port)], { JWT_KEY: key });
    running.push(receiver);
    await receiver.waitForLine([`Receiving webhooks on http://127.0.0.1:${port}`]);
    const subscribe = (jwtKey: string) =>
      api(sandbox.endpoint, sandbox.apiKey, 'POST', '/v1/webhooks', {
        name: 'Orders to the ERP',
        url: `http://127.0.0.1:${port}/shipmondo`,
        events: ['order.status_updated'],
        format: 'jwt',
        jwt_key: jwtKey,
      });

    // Signed with another key, its verification request is refused: nothing is created.
    const refused = await subscribe(`another-${key}`);
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ errors: [{ field: 'url' }] });
    await receiver.waitForLine(['Rejected ', "is JWT_KEY this webhook's key?"]);
    const created = await subscribe(key);
    expect(created.status).toBe(201);
    const webhookId = String(created.json?.compatible_id);
    await receiver.waitForLine([`Orders status_update: the verification request of webhook ${webhookId}`]);

    const published = await run('publish-event', [
      '--endpoint',
      sandbox.endpoint,
      '--actor',
      'ada@example.com',
    ]);

    expect(published.code).toBe(0);
    const verified = await receiver.waitForLine(['Verified JWT msg_', 'ord_1042']);
    expect(verified).toMatch(
      new RegExp(
        `^Verified JWT msg_\\S+ Orders status_update ord_1042 \\(webhook ${webhookId}, by ada@example\\.com\\)$`,
      ),
    );
    const start = receiver.lines.indexOf(verified) + 1;
    await receiver.waitForLine([`"url": "http://127.0.0.1:${port}/shipmondo"`], start);
    expect(receiver.lines.slice(start)).toEqual(
      expect.arrayContaining(['  "webhook": "Orders to the ERP",', '    "id": "ord_1042",']),
    );
  });

  it('demo:publish --count sends PutEvents batches of at most 10 and prints one line per event', async () => {
    const { code, stdout, stderr } = await run('publish-event', [
      ...['--type', 'order.created', '--count', '12', '--account', 'acct_count'],
      ...['--endpoint', sandbox.endpoint],
    ]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatch(/^Sent order\.created ord_1042 \(EventId [\w-]+\)$/);
    expect(lines[11]).toMatch(/^Sent order\.created ord_1053 \(EventId [\w-]+\)$/);
  });
});

describe('demo:publish when PutEvents refuses entries', () => {
  let failing: Server;
  const batchSizes: number[] = [];

  beforeAll(async () => {
    // EventBridge's own per-entry failures (InternalFailure, throttling) have no local form: an endpoint that
    // answers PutEvents as AWS does when it refuses the second entry of each batch.
    failing = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const { Entries } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: unknown[] };
      batchSizes.push(Entries.length);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(
        JSON.stringify({
          FailedEntryCount: Entries.length > 1 ? 1 : 0,
          Entries: Entries.map((_, index) =>
            index === 1
              ? { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error.' }
              : { EventId: `evt-${index}` },
          ),
        }),
      );
    });
    failing.listen(0, '127.0.0.1');
    await once(failing, 'listening');
  });

  afterAll(() => {
    failing?.close();
  });

  it('reports each refused entry with its ErrorCode and exits 1', async () => {
    const endpoint = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;

    const { code, stdout, stderr } = await run('publish-event', [
      ...['--type', 'draft.created', '--count', '11', '--endpoint', endpoint],
    ]);

    expect(batchSizes).toEqual([10, 1]);
    expect(code).toBe(1);
    expect(stdout.trimEnd().split('\n')).toHaveLength(10);
    expect(stdout).toContain('Sent draft.created dft_5120 (EventId evt-0)\n');
    expect(stderr).toBe(
      'Not sent draft.created dft_5121: InternalFailure: Internal service error.\n' +
        '1 of 11 events were refused by PutEvents (FailedEntryCount).\n',
    );
  });
});

describe('demo:receiver', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const signer = new Webhook(secret);

  async function post(url: string, body: string, contentType: string, id = 'msg_demo_1', signWith = signer) {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': signWith.sign(id, new Date(), body),
      },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('answers 401 to a bad signature, says why in one line, and keeps receiving', async () => {
    const receiver = await startReceiverScript(secret);
    const other = new Webhook('whsec_dGhhdCBpcyBhbm90aGVyIHNlY3JldA==');
    const body = JSON.stringify({ id: 'ord_1042', type: 'order.created', data: { id: 'ord_1042' } });

    const forged = await post(receiver.url, body, 'application/json', 'msg_forged', other);
    const unsigned = await fetch(receiver.url, { method: 'POST', body });
    const genuine = await post(receiver.url, body, 'application/json', 'msg_genuine');

    expect([forged, unsigned.status, genuine]).toEqual([401, 401, 204]);
    await receiver.waitForLine(['Rejected (no webhook-id)']);
    await receiver.waitForLine(['Verified msg_genuine order.created']);
    expect(receiver.lines.filter((line) => line.startsWith('Rejected '))).toEqual([
      "Rejected msg_forged on /webhooks with 401: No matching signature found (is WEBHOOK_SECRET this subscription's secret?)",
      "Rejected (no webhook-id) on /webhooks with 401: Missing required headers (is WEBHOOK_SECRET this subscription's secret?)",
    ]);
  });

  it('verifies an XML body over its bytes and prints it as it came, with the type of its root', async () => {
    const receiver = await startReceiverScript(secret);
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<webhook>\n  <id>ord_1042</id>\n  <type>order.status_updated</type>\n' +
      '  <data><id>ord_1042</id><status>Shipped</status><type>parcel</type></data>\n</webhook>';
    const nested =
      '<webhook><data><type>parcel</type></data><type><![CDATA[order.created]]></type></webhook>';

    const statuses = [
      await post(receiver.url, xml, 'application/xml', 'msg_xml'),
      await post(receiver.url, nested, 'application/xml; charset=utf-8', 'msg_nested'),
    ];

    expect(statuses).toEqual([204, 204]);
    const verified = await receiver.waitForLine(['Verified msg_xml order.status_updated']);
    const start = receiver.lines.indexOf(verified) + 1;
    await receiver.waitForLine(['</webhook>'], start);
    expect(receiver.lines.slice(start, start + 6).join('\n')).toBe(xml);
    await receiver.waitForLine(['Verified msg_nested (xml)']);
  });
});
