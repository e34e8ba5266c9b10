import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TargetFailure } from '#sandbox/eventbridge/event-bus.ts';
import { UndeliverableEvents } from '#sandbox/eventbridge/undeliverable.ts';

const invalidCharacters = Object.assign(new Error("Invalid binary character '#xFFFE' was found"), {
  code: 'InvalidMessageContents',
});

/** A failure as the bus reports it: the target and the dead-letter queue both refused the event. */
const dropped = (eventId: string): TargetFailure => ({
  bus: 'webhooks',
  rule: 'orders',
  eventId,
  event: JSON.stringify({ id: eventId, 'detail-type': 'order.created', detail: { note: 'a\ufffeb' } }),
  error: invalidCharacters,
  outcome: 'dropped',
  deadLetterError: invalidCharacters,
});

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'undeliverable-')), 'undeliverable');
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('UndeliverableEvents', () => {
  it('keeps each dropped event in a file of its own, readable by its owner only, and lists them after a restart, oldest first', async () => {
    const store = new UndeliverableEvents(dir);

    const first = store.keep(dropped('e-1'), new Date('2026-12-06T10:00:00.000Z'));
    store.keep(dropped('e-2'), new Date('2026-12-06T10:00:01.000Z'));
    const listed = new UndeliverableEvents(dir).list();

    expect(first).toBe(join(dir, '2026-12-06T10-00-00.000Z-orders-e-1.json'));
    expect((await stat(first)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).length).toBe(2);
    expect(listed).toEqual([
      {
        time: '2026-12-06T10:00:00.000Z',
        bus: 'webhooks',
        rule: 'orders',
        eventId: 'e-1',
        error: { code: 'InvalidMessageContents', message: "Invalid binary character '#xFFFE' was found" },
        deadLetterError: {
          code: 'InvalidMessageContents',
          message: "Invalid binary character '#xFFFE' was found",
        },
        event: { id: 'e-1', 'detail-type': 'order.created', detail: { note: 'a\ufffeb' } },
      },
      expect.objectContaining({ eventId: 'e-2', time: '2026-12-06T10:00:01.000Z' }),
    ]);
  });

  it('lists nothing before the first event, and keeps events in memory without a directory', () => {
    const inMemory = new UndeliverableEvents();

    inMemory.keep({ ...dropped('e-3'), deadLetterError: undefined });

    expect(new UndeliverableEvents(dir).list()).toEqual([]);
    expect(inMemory.list()).toEqual([expect.not.objectContaining({ deadLetterError: expect.anything() })]);
    expect(inMemory.list()[0]).toMatchObject({ eventId: 'e-3', error: { code: 'InvalidMessageContents' } });
  });
});
