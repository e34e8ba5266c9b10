import { readFileSync } from 'node:fs';
import { ListRulesCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rules } from '#core/platform.ts';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
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

const event = JSON.parse(
  readFileSync(new URL('../fixtures/events/order-status-updated.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

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
    expect(
      (await test({ detail: { data: { line_items: { quantity: [{ numeric: ['>', 1] }] } } } })).Result,
    ).toBe(true);
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
