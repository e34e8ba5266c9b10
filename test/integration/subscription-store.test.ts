import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#core/aws/dynamodb.ts';
import { newId } from '#core/ids.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { SubscriptionLimitError } from '#core/subscriptions/subscription-errors.ts';
import { SubscriptionHealthStore } from '#core/subscriptions/subscription-health.ts';
import { SubscriptionRecordStore } from '#core/subscriptions/subscription-records.ts';
import { SubscriptionRoutingStore } from '#core/subscriptions/subscription-routing.ts';
import { LocalDynamoDb } from '../../sandbox/dynamodb.ts';
import { credentials } from '../support/clients.ts';
import { useLocalSecretKey } from '../support/local-kms.ts';
import { aSubscription } from '../support/subscriptions.ts';

let dynamo: LocalDynamoDb;
let server: Server;
let client: DynamoDBClient;
let records: SubscriptionRecordStore;
let routes: SubscriptionRoutingStore;
let health: SubscriptionHealthStore;
const secretKey = useLocalSecretKey();
/** A record as the table holds it, its signing secrets opened (they are stored sealed). */
const opened = async (read: Promise<Subscription | undefined>) => secretKey().opened(await read);

beforeAll(async () => {
  dynamo = await LocalDynamoDb.start();
  server = createServer((req, res) => dynamo.handle(req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  await dynamo.ensureTable(client, 'webhooks');
  const db = documentClient(client);
  records = new SubscriptionRecordStore(db, 'webhooks', secretKey().sealer);
  routes = new SubscriptionRoutingStore(db, 'webhooks');
  health = new SubscriptionHealthStore(db, 'webhooks', secretKey().opener);
});

afterAll(async () => {
  client?.destroy();
  server?.close();
  await dynamo?.close();
});

function subscription(id: string, accountId = 'acct_store'): Subscription {
  return aSubscription({
    id,
    accountId,
    name: id,
    filter: '{"data":{"status":["Shipped"]}}',
    metadata: { team: 'ops' },
  });
}

/** A subscription id as the API makes them, created `n` ms after a fixed time (so ids sort by n). */
const idAt = (n: number) => newId('sub', Date.UTC(2026, 10, 27) + n);

describe('The subscription stores (records, routing, health) against DynamoDB (dynalite)', () => {
  it('stores a subscription and reads it back whole, within its account only', async () => {
    await records.create(subscription('sub_a'), 100);

    expect(await opened(records.get('acct_store', 'sub_a'))).toEqual(subscription('sub_a'));
    expect((await records.get('acct_store', 'sub_a'))?.secret).toMatch(/^kms:/);
    expect(await records.get('acct_other', 'sub_a')).toBeUndefined();
  });

  it('refuses a second subscription with the same id, and gives its slot back', async () => {
    await expect(records.create(subscription('sub_a'), 2)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    await records.create(subscription('sub_b'), 2);
    await expect(records.create(subscription('sub_z'), 2)).rejects.toBeInstanceOf(SubscriptionLimitError);
  });

  it('gives the routing of an account’s subscriptions without their secrets', async () => {
    await records.create(subscription('sub_c', 'acct_elsewhere'), 100);

    const routing = await routes.listRouting('acct_store');

    expect(routing).toEqual(
      ['sub_a', 'sub_b'].map((id) => ({
        id,
        accountId: 'acct_store',
        status: 'active',
        events: ['order.*'],
        filter: subscription(id).filter,
      })),
    );
  });

  it('disables an active subscription once, with its reason and a new version, and ignores a deleted one', async () => {
    expect(await health.disable('acct_store', 'sub_b', 'The endpoint answered 410 Gone')).toBe(true);
    expect(await health.disable('acct_store', 'sub_b', 'again')).toBe(false);
    expect(await health.disable('acct_store', 'sub_missing', 'gone')).toBe(false);

    expect(await health.get('acct_store', 'sub_b')).toMatchObject({
      status: 'disabled',
      disabledReason: 'The endpoint answered 410 Gone',
      version: 2,
    });
    expect(await health.get('acct_store', 'sub_missing')).toBeUndefined();
  });

  it('replaces and deletes only at the expected version', async () => {
    const stored = subscription('sub_v', 'acct_versions');
    await records.create(stored, 100);

    expect(await records.replace({ ...stored, name: 'stale', version: 2 }, 7)).toBe(false);
    expect(await records.replace({ ...stored, name: 'renamed', version: 2 }, 1)).toBe(true);
    expect(await records.remove('acct_versions', 'sub_v', 1)).toBe(false);
    expect(await records.get('acct_versions', 'sub_v')).toMatchObject({ name: 'renamed', version: 2 });
    expect(await records.remove('acct_versions', 'sub_v', 2)).toBe(true);
    expect(await records.get('acct_versions', 'sub_v')).toBeUndefined();
  });

  it('writes what a client changed and never what the delivery path keeps: a stale read puts back no circuit, streak or back-off', async () => {
    const stored = aSubscription({ id: 'sub_kept', accountId: 'acct_kept', rateLimit: 10 });
    await records.create(stored, 100);
    // What a client's change read: the endpoint failing, its circuit open (all since closed, below).
    const read = {
      ...stored,
      slowSince: '2026-11-27T01:00:00.000Z',
      failingSince: '2026-11-27T02:00:00.000Z',
      laneEvidence: 2,
      consecutiveFailures: 5,
      circuit: {
        openedAt: '2026-11-27T03:00:00.000Z',
        probeAt: '2026-11-27T03:00:05.000Z',
        probeDelaySeconds: 5,
        token: 'stale-probe',
      },
      backOffUntil: '2026-11-27T03:10:00.000Z',
    };
    // Meanwhile the delivery path closed the circuit, ended the streak and began another lane count.
    const key = { pk: { S: 'ACCOUNT#acct_kept' }, sk: { S: 'SUBSCRIPTION#sub_kept' } };
    await client.send(
      new UpdateItemCommand({
        TableName: 'webhooks',
        Key: key,
        UpdateExpression: 'SET laneEvidence = :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );

    const written = await records.replace({ ...read, name: 'renamed', rateLimit: 20, version: 2 }, 1);

    expect(written).toBe(true);
    expect(await opened(records.get('acct_kept', 'sub_kept'))).toEqual({
      ...stored,
      name: 'renamed',
      rateLimit: 20,
      laneEvidence: 1,
      version: 2,
    });
  });

  it('removes the delivery-kept fields a change resets, and only those, in its one conditional write', async () => {
    const stored = aSubscription({ id: 'sub_reset', accountId: 'acct_kept' });
    await records.create(stored, 100);
    const kept = {
      slowSince: '2026-11-27T01:00:00.000Z',
      failingSince: '2026-11-27T02:00:00.000Z',
      laneEvidence: 2,
      consecutiveFailures: 5,
      circuit: {
        openedAt: '2026-11-27T03:00:00.000Z',
        probeAt: '2026-11-27T03:00:05.000Z',
        probeDelaySeconds: 5,
        token: 'probe',
      },
      backOffUntil: '2026-11-27T03:10:00.000Z',
    };
    await health.disable('acct_kept', 'sub_reset', 'failing');
    const key = { pk: { S: 'ACCOUNT#acct_kept' }, sk: { S: 'SUBSCRIPTION#sub_reset' } };
    await client.send(
      new UpdateItemCommand({
        TableName: 'webhooks',
        Key: key,
        UpdateExpression:
          'SET slowSince = :slow, failingSince = :failing, laneEvidence = :evidence, consecutiveFailures = :failures, circuit = :circuit, backOffUntil = :until',
        ExpressionAttributeValues: marshall({
          ':slow': kept.slowSince,
          ':failing': kept.failingSince,
          ':evidence': kept.laneEvidence,
          ':failures': kept.consecutiveFailures,
          ':circuit': kept.circuit,
          ':until': kept.backOffUntil,
        }),
      }),
    );
    const reset = ['failingSince', 'consecutiveFailures', 'laneEvidence', 'circuit', 'backOffUntil'] as const;

    const atWrongVersion = await records.replace({ ...stored, version: 4 }, 1, reset);
    const afterWrongVersion = await records.get('acct_kept', 'sub_reset');
    const written = await records.replace({ ...stored, version: 3 }, 2, reset);

    expect(atWrongVersion).toBe(false);
    expect(afterWrongVersion).toMatchObject(kept);
    expect(written).toBe(true);
    expect(await opened(records.get('acct_kept', 'sub_reset'))).toEqual({
      ...stored,
      slowSince: kept.slowSince,
      version: 3,
    });
  });

  it('gives routing and health an item with a rate limit and everything the delivery path keeps, parsed', async () => {
    const full = aSubscription({
      id: 'sub_full',
      accountId: 'acct_full',
      rateLimit: 10_000,
      slowSince: '2026-11-27T01:00:00.000Z',
      failingSince: '2026-11-27T02:00:00.000Z',
      laneEvidence: 0,
      consecutiveFailures: 7,
      circuit: {
        openedAt: '2026-11-27T03:00:00.000Z',
        probeAt: '2026-11-27T03:05:00.000Z',
        probeDelaySeconds: 300,
        token: 'probe',
      },
      backOffUntil: '2026-11-27T03:10:00.000Z',
    });
    await records.create(full, 100);

    expect(await health.get('acct_full', 'sub_full')).toEqual(full);
    expect(await opened(records.get('acct_full', 'sub_full'))).toEqual(full);
    expect(await routes.listRouting('acct_full')).toEqual([
      { id: 'sub_full', accountId: 'acct_full', status: 'active', events: ['order.*'] },
    ]);
  });

  it('reads an item written with one previousSecret as a list of one, and leaves no old attribute when it writes it again', async () => {
    const stored = subscription('sub_legacy', 'acct_legacy');
    await records.create(stored, 100);
    const key = { pk: { S: 'ACCOUNT#acct_legacy' }, sk: { S: 'SUBSCRIPTION#sub_legacy' } };
    // As the platform wrote a rotated subscription before it kept more than one previous secret.
    await client.send(
      new UpdateItemCommand({
        TableName: 'webhooks',
        Key: key,
        UpdateExpression: 'SET previousSecret = :secret, previousSecretExpiresAt = :at',
        ExpressionAttributeValues: {
          ':secret': { S: 'whsec_b2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkMTI=' },
          ':at': { S: '2026-11-28T00:00:00.000Z' },
        },
      }),
    );

    const read = await opened(records.get('acct_legacy', 'sub_legacy'));
    const written = await records.replace({ ...stored, name: 'renamed', version: 2 }, 1);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'webhooks', Key: key, ConsistentRead: true }),
    );

    expect(read).toEqual({
      ...stored,
      previousSecrets: [
        { secret: 'whsec_b2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkMTI=', expiresAt: '2026-11-28T00:00:00.000Z' },
      ],
    });
    expect(written).toBe(true);
    expect(Object.keys(Item ?? {})).not.toContain('previousSecret');
    expect(Object.keys(Item ?? {})).not.toContain('previousSecretExpiresAt');
  });

  it('pages newest first, filtered by status and event type, with a cursor that survives inserts', async () => {
    const account = 'acct_pages';
    const ids = Array.from({ length: 7 }, (_, n) => idAt(n * 10));
    for (const [n, id] of ids.entries()) {
      await records.create(
        aSubscription({
          id,
          accountId: account,
          status: n % 2 === 0 ? 'active' : 'paused',
          events: n < 3 ? ['order.*'] : ['shipment.created'],
        }),
        100,
      );
    }
    const first = await records.page(account, { limit: 3 });
    // Created between two pages: newer than everything, so it cannot shift the pages that follow.
    const inserted = idAt(1000);
    await records.create(aSubscription({ id: inserted, accountId: account }), 100);
    const second = await records.page(account, { limit: 3, after: first.lastId as string });
    const third = await records.page(account, { limit: 3, after: second.lastId as string });

    expect(first.items.map((s) => s.id)).toEqual([ids[6], ids[5], ids[4]]);
    expect(second.items.map((s) => s.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(third).toEqual({ items: [expect.objectContaining({ id: ids[0] })] });
    expect((await records.page(account, { limit: 10, status: 'paused' })).items.map((s) => s.id)).toEqual([
      ids[5],
      ids[3],
      ids[1],
    ]);
    expect(
      (await records.page(account, { limit: 2, eventType: 'order.created' })).items.map((s) => s.id),
    ).toEqual([inserted, ids[2]]);
  });

  it('keeps an account to its limit under concurrent creates, and sets a drifted counter right', async () => {
    const account = 'acct_limit';
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, n) =>
        records.create(aSubscription({ id: idAt(n), accountId: account }), 5),
      ),
    );
    const stored = await records.page(account, { limit: 100 });
    // A create that crashed after taking its slot leaves the counter one too high...
    await client.send(
      new UpdateItemCommand({
        TableName: 'webhooks',
        Key: { pk: { S: 'ACCOUNT#acct_limit' }, sk: { S: 'COUNTER#subscriptions' } },
        UpdateExpression: 'ADD #count :one',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    await records.remove(account, stored.items[0]?.id as string, 1);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
    expect(stored.items).toHaveLength(5);
    // ...which the next create at the apparent limit counts again.
    await expect(
      records.create(aSubscription({ id: idAt(50), accountId: account }), 5),
    ).resolves.toBeUndefined();
    await expect(
      records.create(aSubscription({ id: idAt(51), accountId: account }), 5),
    ).rejects.toBeInstanceOf(SubscriptionLimitError);
  });
});
