import { ListRulesCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rules } from '#core/platform.ts';
import { type Sandbox, startSandbox } from '../../local/sandbox.ts';
import { awsClients } from '../support/clients.ts';

let sandbox: Sandbox;
let clients: ReturnType<typeof awsClients>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, logLevel: 'SILENT' });
  clients = awsClients(sandbox.endpoint);
});
afterAll(async () => {
  await sandbox?.close();
});

const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'order.status_updated',
  source: 'shipping.orders',
  account: '123456789012',
  time: '2026-11-27T10:15:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { account_id: 'acct_1', data: { status: 'Shipped', total: 120.5 } },
};

const test = (pattern: unknown, body: unknown = event) =>
  clients.eventBridge.send(
    new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: JSON.stringify(body) }),
  );

describe('TestEventPattern through @aws-sdk/client-eventbridge', () => {
  it('answers true for the deployed orders rule and false for the shipments rule', async () => {
    const [orders, shipments] = [
      rules.find((r) => r.name === 'orders'),
      rules.find((r) => r.name === 'shipments'),
    ];

    expect((await test(orders?.eventPattern)).Result).toBe(true);
    expect((await test(shipments?.eventPattern)).Result).toBe(false);
  });

  it('matches content filters on the detail', async () => {
    expect((await test({ detail: { data: { total: [{ numeric: ['>', 100] }] } } })).Result).toBe(true);
    expect((await test({ detail: { data: { status: [{ 'anything-but': 'Shipped' }] } } })).Result).toBe(
      false,
    );
  });

  it('refuses an invalid pattern with InvalidEventPatternException', async () => {
    await expect(test({ source: 'shipping.orders' })).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
      message: expect.stringContaining('Event pattern is not valid'),
    });
  });

  it('refuses an event without the envelope fields with a ValidationException', async () => {
    const { id: _, ...withoutId } = event;

    await expect(test({ source: ['shipping.orders'] }, withoutId)).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Parameter Event is not valid.',
    });
  });

  it('answers an operation it does not serve with UnknownOperationException', async () => {
    await expect(clients.eventBridge.send(new ListRulesCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
    });
  });
});
