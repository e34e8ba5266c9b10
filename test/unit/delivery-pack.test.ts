import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { BatchGathering } from '#core/aws/batch-gathering.ts';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import {
  carryPack,
  deliveryPackSchema,
  maxDeliveriesPerPack,
  maxPackBytes,
  packsOf,
} from '#core/deliveries/delivery-pack.ts';
import { KeyedLimiter } from '#core/keyed-limiter.ts';

const delivery = (subscriptionId: string, n: number, body = '{"a":1}'): DeliveryMessage => ({
  id: `msg_${subscriptionId}_${n}`,
  accountId: 'acc_1',
  subscriptionId,
  eventId: `evt_${n}`,
  eventType: 'order.created',
  body,
  attempt: 1,
  trigger: 'event',
});

/** The deliveries a main-lane body carries, read back as the consumer reads them. */
const carried = (body: string): DeliveryMessage[] => {
  const parsed: unknown = JSON.parse(body);
  const pack = z.safeParse(deliveryPackSchema, parsed);
  return pack.success ? pack.data.pack : [parsed as DeliveryMessage];
};

describe('packsOf', () => {
  it('puts each subscription’s deliveries in packs of at most ten, in the order given', () => {
    const messages = Array.from({ length: 12 }, (_, n) => [
      delivery('sub_a', n),
      delivery('sub_b', n),
    ]).flat();
    const packs = packsOf(messages);
    expect(packs.map((pack) => [pack.subscriptionId, carried(pack.body).length])).toEqual([
      ['sub_a', 10],
      ['sub_a', 2],
      ['sub_b', 10],
      ['sub_b', 2],
    ]);
    const ofA = packs.filter((pack) => pack.subscriptionId === 'sub_a').flatMap((pack) => carried(pack.body));
    expect(ofA.map((message) => message.id)).toEqual(
      messages.filter((m) => m.subscriptionId === 'sub_a').map((m) => m.id),
    );
  });

  it('sends a delivery alone as itself, the shape every consumer and dead-letter queue knows', () => {
    const one = delivery('sub_a', 1);
    expect(packsOf([one])).toEqual([{ subscriptionId: 'sub_a', body: JSON.stringify(one) }]);
  });

  it('keeps a pack under its byte limit, and a delivery larger than that alone', () => {
    const large = 'x'.repeat(100 * 1024);
    const huge = 'y'.repeat(300 * 1024);
    const messages = [
      delivery('sub_a', 1, large),
      delivery('sub_a', 2, large),
      delivery('sub_a', 3, large),
      delivery('sub_a', 4, huge),
    ];
    const packs = packsOf(messages);
    expect(packs.map((pack) => carried(pack.body).length)).toEqual([2, 1, 1]);
    for (const pack of packs.slice(0, 2))
      expect(Buffer.byteLength(pack.body)).toBeLessThanOrEqual(maxPackBytes);
    expect(packs.flatMap((pack) => carried(pack.body)).map((m) => m.id)).toEqual(messages.map((m) => m.id));
  });

  it('refuses to read a pack of more than ten or of none', () => {
    const eleven = Array.from({ length: maxDeliveriesPerPack + 1 }, (_, n) => delivery('sub_a', n));
    expect(z.safeParse(deliveryPackSchema, { pack: eleven }).success).toBe(false);
    expect(z.safeParse(deliveryPackSchema, { pack: [] }).success).toBe(false);
  });
});

describe('carryPack', () => {
  it('processes every delivery and sends nothing again when all are done', async () => {
    const processed: string[] = [];
    const sent: DeliveryMessage[][] = [];
    const pack = { pack: [delivery('sub_a', 1), delivery('sub_a', 2)] };
    await carryPack(pack, 1, {
      process: async (message) => {
        processed.push(message.id);
      },
      sendAlone: async (messages) => {
        sent.push([...messages]);
      },
    });
    expect(processed.sort()).toEqual(['msg_sub_a_1', 'msg_sub_a_2']);
    expect(sent).toEqual([]);
  });

  it('sends a delivery that threw again alone, counting the pack’s receipts as interrupted attempts', async () => {
    const sent: DeliveryMessage[] = [];
    const pack = {
      pack: [delivery('sub_a', 1), { ...delivery('sub_a', 2), interrupted: 1 }, delivery('sub_a', 3)],
    };
    const results = await carryPack(pack, 2, {
      process: async (message) => {
        if (message.id !== 'msg_sub_a_1') throw new Error('store unavailable');
      },
      sendAlone: async (messages) => {
        sent.push(...messages);
      },
    });
    expect(results.map((result) => result.ok)).toEqual([true, false, false]);
    expect(sent.map((message) => [message.id, message.interrupted])).toEqual([
      ['msg_sub_a_2', 3],
      ['msg_sub_a_3', 2],
    ]);
  });

  it('lets the error reach SQS when the failed deliveries cannot be sent again', async () => {
    const pack = { pack: [delivery('sub_a', 1)] };
    await expect(
      carryPack(pack, 1, {
        process: async () => {
          throw new Error('store unavailable');
        },
        sendAlone: async () => {
          throw new Error('queue unavailable');
        },
      }),
    ).rejects.toThrow('queue unavailable');
  });
});

describe('BatchGathering', () => {
  it('sends once, after every record added its part or left, and settles every part', async () => {
    const sends: number[][] = [];
    const gathering = new BatchGathering<number>(3, async (items) => {
      sends.push([...items]);
    });
    const [a, b, c] = [gathering.place(), gathering.place(), gathering.place()];
    const first = a.add([1, 2]);
    c.leave();
    expect(sends).toEqual([]);
    const second = b.add([3]);
    await Promise.all([first, second]);
    expect(sends).toEqual([[1, 2, 3]]);
    a.leave();
    b.leave();
    expect(sends).toHaveLength(1);
  });

  it('sends nothing when every record left without adding', async () => {
    let sent = false;
    const gathering = new BatchGathering<number>(2, async () => {
      sent = true;
    });
    gathering.place().leave();
    gathering.place().leave();
    await Promise.resolve();
    expect(sent).toBe(false);
  });

  it('tells every record that added when the one send fails', async () => {
    const gathering = new BatchGathering<number>(2, async () => {
      throw new Error('queue unavailable');
    });
    const parts = [gathering.place().add([1]), gathering.place().add([2])];
    const settled = await Promise.allSettled(parts);
    expect(settled.map((one) => one.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('KeyedLimiter', () => {
  it('runs at most the limit per key at once, the rest in the order they came, other keys alongside', async () => {
    const limiter = new KeyedLimiter(2);
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    const started: string[] = [];
    const gates: (() => void)[] = [];
    const task = (key: string, name: string) =>
      limiter.run(key, async () => {
        started.push(name);
        running.set(key, (running.get(key) ?? 0) + 1);
        most.set(key, Math.max(most.get(key) ?? 0, running.get(key) ?? 0));
        await new Promise<void>((open) => gates.push(open));
        running.set(key, (running.get(key) ?? 0) - 1);
        return name;
      });
    const all = Promise.all([
      task('a', 'a1'),
      task('a', 'a2'),
      task('a', 'a3'),
      task('b', 'b1'),
      task('a', 'a4'),
    ]);
    await Promise.resolve();
    expect(started).toEqual(['a1', 'a2', 'b1']);
    while (started.length < 5 || gates.length > 0) {
      gates.shift()?.();
      await new Promise((tick) => setTimeout(tick, 0));
    }
    expect(await all).toEqual(['a1', 'a2', 'a3', 'b1', 'a4']);
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
    expect(most.get('a')).toBe(2);
  });

  it('gives the place of a task that threw to the next one', async () => {
    const limiter = new KeyedLimiter(1);
    const first = limiter.run('a', async () => {
      throw new Error('no');
    });
    const second = limiter.run('a', async () => 'ran');
    await expect(first).rejects.toThrow('no');
    expect(await second).toBe('ran');
  });
});
