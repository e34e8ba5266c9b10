/**
 * The upgrade step that seals the plain signing secrets items written before sealing still hold
 * (`npm run seal-secrets`), against the in-process sandbox: its DynamoDB and KMS over their wire protocols, its
 * delivery functions signing for a loopback receiver, and a Standard Webhooks library verifying with the
 * secrets as integrators hold them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#core/aws/dynamodb.ts';
import { KmsSecretSealer } from '#core/aws/kms-secrets.ts';
import { newSigningSecret } from '#core/payloads/signing.ts';
import { sealPlainSecrets } from '#core/subscriptions/seal-plain-secrets.ts';
import type { SecretOwner, SecretSealer } from '#core/subscriptions/secret-box.ts';
import { demoAccountId, type Sandbox, signingSecretKeyAlias, startSandbox } from '../../sandbox/sandbox.ts';
import { api, credentials } from '../support/clients.ts';
import { expectOneLineError, lines, runOperatorCli } from '../support/operator-cli.ts';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.ts';

const tableName = 'webhooks';
let sandbox: Sandbox;
let receiver: Receiver;
let dynamo: DynamoDBClient;
let kms: KMSClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, logLevel: 'SILENT' });
  receiver = await startReceiver();
  dynamo = new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  kms = new KMSClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
});

afterAll(async () => {
  dynamo?.destroy();
  kms?.destroy();
  await receiver?.close();
  await sandbox?.close();
});

const call = (method: string, path: string, body?: unknown) =>
  api(sandbox.endpoint, sandbox.apiKey, method, path, body);
const db = () => documentClient(dynamo);
const keyOf = (id: string) => ({ pk: `ACCOUNT#${demoAccountId}`, sk: `SUBSCRIPTION#${id}` });

/** The API's sealer, counting the secrets it is asked to seal; `before` runs ahead of each. */
function countingSealer(before: (owner: SecretOwner) => Promise<void> = async () => {}) {
  const sealer = new KmsSecretSealer(kms, sandbox.signingSecretKeyArn);
  const counting = {
    seals: 0,
    async seal(secret: string, owner: SecretOwner) {
      counting.seals++;
      await before(owner);
      return sealer.seal(secret, owner);
    },
  } satisfies SecretSealer & { seals: number };
  return counting;
}

/**
 * A subscription made through the API, then stored as the platform stored it before secrets were sealed: its
 * current secret and, if given, the previous ones in plain text (answers the secrets; the first is current).
 */
async function legacySubscription(previous: 'none' | 'previousSecrets' | 'previousSecret' = 'none') {
  const created = await call('POST', '/v1/webhooks', {
    name: 'Legacy',
    url: receiver.url,
    events: ['order.*'],
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = created.json?.id as string;
  const [current, older] = [newSigningSecret(), newSigningSecret()];
  const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
  const values: Record<string, unknown> = { ':secret': current };
  let set = 'secret = :secret';
  if (previous === 'previousSecrets') {
    set += ', previousSecrets = :previous';
    values[':previous'] = [{ secret: older, expiresAt }];
  }
  if (previous === 'previousSecret') {
    // The shape of items written before a subscription kept a list of previous secrets.
    set += ', previousSecret = :previous, previousSecretExpiresAt = :expiresAt';
    Object.assign(values, { ':previous': older, ':expiresAt': expiresAt });
  }
  await db().send(
    new UpdateCommand({
      TableName: tableName,
      Key: keyOf(id),
      UpdateExpression: `SET ${set}`,
      ExpressionAttributeValues: values,
    }),
  );
  return { id, secrets: previous === 'none' ? [current] : [current, older] };
}

async function itemOf(id: string): Promise<Record<string, unknown>> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName, Key: keyOf(id), ConsistentRead: true }),
  );
  if (Item === undefined) throw new Error(`no item for ${id}`);
  return Item;
}

/** Every item of the table, as JSON text. */
async function wholeTable(): Promise<string> {
  return JSON.stringify(await tableItems());
}

/**
 * The subscription items, as JSON text: what the pass may write (deliveries' records, written as their
 * attempts end, may still change after a test's delivery).
 */
async function subscriptionItems(): Promise<string> {
  return JSON.stringify((await tableItems()).filter((item) => String(item.sk).startsWith('SUBSCRIPTION#')));
}

async function tableItems(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db().send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** Sends a test event to the subscription and answers the request its endpoint got. */
async function testDelivery(id: string): Promise<ReceivedRequest> {
  const sent = await call('POST', `/v1/webhooks/${id}/test`);
  expect(sent.status, JSON.stringify(sent.json)).toBe(202);
  const request = await receiver.next();
  expect(request.headers['webhook-id']).toBe(sent.json?.delivery_id);
  return request;
}

const verifies = (secret: string, request: ReceivedRequest) =>
  new Webhook(secret).verify(request.body, request.headers as Record<string, string>);

const sealed = expect.stringMatching(/^kms:[A-Za-z0-9+/]+={0,2}$/);

describe('sealing the plain signing secrets left in a table', () => {
  it('seals every plain secret, current and previous, and deliveries still verify with the secrets as integrators hold them', async () => {
    const single = await legacySubscription();
    const rotated = await legacySubscription('previousSecrets');
    const versions = [(await itemOf(single.id)).version, (await itemOf(rotated.id)).version];
    expect(await wholeTable()).toContain('whsec_');
    const sealer = countingSealer();

    const report = await sealPlainSecrets(db(), tableName, sealer);

    expect(report).toMatchObject({ sealedItems: 2, sealedSecrets: 3, sealedMeanwhile: 0, skipped: [] });
    expect(report.subscriptions).toBe(report.sealedItems + report.alreadySealed);
    expect(report.scanned).toBeGreaterThan(report.subscriptions);
    expect(sealer.seals).toBe(3);
    expect(await wholeTable()).not.toContain('whsec_');
    expect(await itemOf(single.id)).toMatchObject({ secret: sealed, version: versions[0] });
    expect(await itemOf(rotated.id)).toMatchObject({
      secret: sealed,
      previousSecrets: [{ secret: sealed, expiresAt: expect.any(String) }],
      version: versions[1],
    });
    const [singleSecret] = single.secrets as [string];
    expect(verifies(singleSecret, await testDelivery(single.id))).toMatchObject({ type: 'webhook.test' });
    const [current, previous] = rotated.secrets as [string, string];
    const request = await testDelivery(rotated.id);
    expect(verifies(current, request)).toMatchObject({ type: 'webhook.test' });
    expect(verifies(previous, request)).toMatchObject({ type: 'webhook.test' });
  });

  it('changes nothing on a second run: no secret sealed, no KMS request, no item written', async () => {
    const before = await subscriptionItems();
    const sealer = countingSealer();

    const report = await sealPlainSecrets(db(), tableName, sealer, { segments: 3 });

    expect(report).toMatchObject({ sealedItems: 0, sealedSecrets: 0, skipped: [] });
    expect(report.alreadySealed).toBe(report.subscriptions);
    expect(report.subscriptions).toBeGreaterThanOrEqual(2);
    expect(sealer.seals).toBe(0);
    expect(await subscriptionItems()).toBe(before);
  });

  it('seals the previous secret of an item of the older shape into the current one, which still signs', async () => {
    const legacy = await legacySubscription('previousSecret');

    const report = await sealPlainSecrets(db(), tableName, countingSealer());

    const item = await itemOf(legacy.id);
    expect(report).toMatchObject({ sealedItems: 1, sealedSecrets: 2 });
    expect(item.previousSecrets).toEqual([{ secret: sealed, expiresAt: expect.any(String) }]);
    expect(item).not.toHaveProperty('previousSecret');
    expect(item).not.toHaveProperty('previousSecretExpiresAt');
    const request = await testDelivery(legacy.id);
    for (const secret of legacy.secrets)
      expect(verifies(secret, request)).toMatchObject({ type: 'webhook.test' });
  });

  it('in a dry run counts what it would seal, and asks KMS nothing and writes nothing', async () => {
    const legacy = await legacySubscription('previousSecrets');
    const before = await subscriptionItems();
    const sealer = countingSealer();

    const report = await sealPlainSecrets(db(), tableName, sealer, { dryRun: true });

    expect(report).toMatchObject({ sealedItems: 1, sealedSecrets: 2, skipped: [] });
    expect(sealer.seals).toBe(0);
    expect(await subscriptionItems()).toBe(before);
    expect((await itemOf(legacy.id)).secret).toBe(legacy.secrets[0]);
    // Sealed for real, so the tests after this one find no plain secret but their own.
    await sealPlainSecrets(db(), tableName, countingSealer());
  });

  it('does not overwrite an API write made between its read and its write: it finds the item sealed by it', async () => {
    const legacy = await legacySubscription();
    // The integrator changes the subscription while the pass is sealing its secret.
    const sealer = countingSealer(async (owner) => {
      if (owner.subscriptionId !== legacy.id) return;
      expect((await call('PATCH', `/v1/webhooks/${legacy.id}`, { name: 'Renamed meanwhile' })).status).toBe(
        200,
      );
    });

    const report = await sealPlainSecrets(db(), tableName, sealer);

    expect(report).toMatchObject({ sealedItems: 0, sealedMeanwhile: 1, skipped: [] });
    expect(await itemOf(legacy.id)).toMatchObject({ name: 'Renamed meanwhile', secret: sealed, version: 2 });
    expect(verifies(legacy.secrets[0] ?? '', await testDelivery(legacy.id))).toMatchObject({
      type: 'webhook.test',
    });
  });

  it('seals again an item another writer changed but left plain (an API not yet upgraded), keeping that change', async () => {
    const legacy = await legacySubscription();
    let changes = 0;
    const sealer = countingSealer(async (owner) => {
      if (owner.subscriptionId !== legacy.id || changes++ > 0) return;
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: keyOf(legacy.id),
          UpdateExpression: 'SET #name = :name, version = version + :one',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':name': 'Written by an older API', ':one': 1 },
        }),
      );
    });

    const report = await sealPlainSecrets(db(), tableName, sealer);

    expect(report).toMatchObject({ sealedItems: 1, sealedSecrets: 1, skipped: [] });
    expect(sealer.seals).toBe(2);
    expect(await itemOf(legacy.id)).toMatchObject({
      name: 'Written by an older API',
      secret: sealed,
      version: 2,
    });
  });
});

describe('npm run seal-secrets against the sandbox', () => {
  const sealSecrets = (args: string[]) => runOperatorCli('seal-secrets.ts', args);

  it('counts in a dry run, then seals with the sandbox’s key, printing counts and never a secret', async () => {
    const legacy = await legacySubscription('previousSecrets');

    const dryRun = await sealSecrets(['--endpoint', sandbox.endpoint, '--dry-run']);
    const run = await sealSecrets(['--endpoint', sandbox.endpoint]);

    expect(dryRun).toMatchObject({ code: 0, stderr: '' });
    expect(lines(dryRun.stdout)[1]).toBe(
      'Dry run: would seal 2 plain secrets in 1 subscription; nothing was written.',
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^Scanned \d+ items of table webhooks: \d+ subscriptions\.$/),
      `Sealed 2 plain secrets in 1 subscription with ${signingSecretKeyAlias}.`,
      expect.stringMatching(/^Already sealed: \d+ subscriptions?\.$/),
    ]);
    for (const output of [dryRun.stdout, run.stdout]) expect(output).not.toContain('whsec_');
    expect((await itemOf(legacy.id)).secret).toEqual(sealed);
  });

  it('prints its usage with --help, and refuses a key that is not a KMS key ARN', async () => {
    const [help, wrongKey] = await Promise.all([
      sealSecrets(['--help']),
      sealSecrets(['--table', 'webhooks', '--key-arn', 'my-key']),
    ]);

    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: npm run seal-secrets -- /);
    expect(expectOneLineError(wrongKey, 2)).toContain('--key-arn must be a KMS key ARN');
  });
});
