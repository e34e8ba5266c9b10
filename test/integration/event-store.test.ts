import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  compressAboveBytes,
  EventStore,
  EventTooLargeToKeepError,
  type StoredEvent,
} from '#core/deliveries/event-store.ts';
import { eventFannedOutKey, eventKey } from '#core/storage/table-keys.ts';
import { useLocalTable } from '../support/local-table.ts';

/**
 * Issue 17 (1 MB events): an event's webhook body is kept once, for retries and recovery, in one item of the
 * sandbox's DynamoDB (which, as DynamoDB, refuses items over 400 KB): large bodies compressed, read back whole.
 */
const table = useLocalTable();

const eventWith = (eventId: string, body: string): StoredEvent => ({
  eventId,
  accountId: 'acct_1',
  eventType: 'order.status_updated',
  body,
  fannedOutAt: Date.now(),
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
});

describe('the event store', () => {
  it('keeps a 1 MB body compressed in one item and reads it back whole; a small one as it is', async () => {
    const store = new EventStore(table(), 'webhooks');
    const large = JSON.stringify({ notes: 'Line item notes. '.repeat(61_000) });
    const small = JSON.stringify({ notes: 'short' });
    expect(Buffer.byteLength(large)).toBeGreaterThan(1000 * 1024);

    await store.claim(eventWith('evt_large', large));
    await store.claim(eventWith('evt_small', small));
    const read = await store.getAll(['evt_large', 'evt_small']);

    expect(new Map(read.map((event) => [event.eventId, event.body]))).toEqual(
      new Map([
        ['evt_large', large],
        ['evt_small', small],
      ]),
    );
    const item = async (id: string) =>
      (await table().send(new GetCommand({ TableName: 'webhooks', Key: eventKey(id) }))).Item ?? {};
    expect(Buffer.byteLength(small)).toBeLessThan(compressAboveBytes);
    expect((await item('evt_small')).body).toBe(small);
    expect((await item('evt_large')).body).toBeUndefined();
    expect((await item('evt_large')).bodyGzip).toBeInstanceOf(Uint8Array);
  });

  it('refuses a body that does not fit an item even compressed, keeping nothing', async () => {
    const store = new EventStore(table(), 'webhooks');
    const noise = JSON.stringify({ notes: randomBytes(600 * 1024).toString('base64') });

    await expect(store.claim(eventWith('evt_noise', noise))).rejects.toThrow(EventTooLargeToKeepError);
    expect(await store.getAll(['evt_noise'])).toEqual([]);
  });

  it('tells a repeat of an event whose fan-out batch queued everything from one that stopped half-way', async () => {
    const store = new EventStore(table(), 'webhooks');
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const claimBy = (eventId: string, fanOutBatch: string) =>
      store.claim({ ...eventWith(eventId, '{}'), fanOutBatch });

    // Batch A claims two events and queues every delivery of the first only.
    expect(await claimBy('evt_done', 'batch_a')).toMatchObject({ done: false, again: false });
    const first = await claimBy('evt_half', 'batch_a');
    await store.markFannedOut('batch_a', ['evt_done'], expiresAt);

    // A repeat of the first (a duplicate from the bus) is dropped; the second is done again, at its first time.
    expect(await claimBy('evt_done', 'batch_b')).toMatchObject({ done: true, again: true });
    const again = await claimBy('evt_half', 'batch_b');
    expect(again).toEqual({ done: false, again: true, fannedOutAt: first.fannedOutAt });

    // Batch B finishes it: a later repeat looks at B's marker, which names it.
    await store.markFannedOut('batch_b', ['evt_half'], expiresAt);
    expect(await claimBy('evt_half', 'batch_c')).toMatchObject({ done: true });
  });

  it('still reads the per-event marker that fan-outs wrote before batch markers', async () => {
    const store = new EventStore(table(), 'webhooks');
    await store.claim(eventWith('evt_old', '{}'));
    await table().send(
      new PutCommand({
        TableName: 'webhooks',
        Item: { ...eventFannedOutKey('evt_old'), expiresAt: Math.floor(Date.now() / 1000) + 3600 },
      }),
    );
    expect(await store.claim({ ...eventWith('evt_old', '{}'), fanOutBatch: 'batch_x' })).toMatchObject({
      done: true,
    });
  });
});
