import { describe, expect, it } from 'vitest';
import { ApiError, type Page, type Subscription } from '../../../portal/src/api.ts';
import {
  deliveryRows,
  eventPath,
  lastAnswerWords,
  missingEvent,
  prettyJson,
  subscriptionNames,
  unreadableEvent,
} from '../../../portal/src/pages/event/model.ts';
import { subscriptionView } from '../../support/portal-views.ts';

const at = (iso: string) => `at ${iso}`;
const orders = subscriptionView({ id: 'sub_01jdw3k5v8q2m4n6p8r0s2t4v6', name: 'Orders' });
const warehouse = subscriptionView({ id: 'sub_01jdw3k5v8q2m4n6p8r0s2t4v7', name: 'Warehouse' });

describe('an event’s page model', () => {
  it('asks for the event by its id', () => {
    expect(eventPath('evt_01jdw3k5v8q2m4n6p8r0s2t4v6')).toBe('/v1/events/evt_01jdw3k5v8q2m4n6p8r0s2t4v6');
  });

  it('reads every page of subscriptions for their names', async () => {
    const asked: string[] = [];
    const read = async (path: string): Promise<Page<Subscription>> => {
      asked.push(path);
      return path.includes('cursor=')
        ? { data: [warehouse], next_cursor: null }
        : { data: [orders], next_cursor: 'n+1' };
    };

    const names = await subscriptionNames(read);

    expect([...names]).toEqual([
      [orders.id, 'Orders'],
      [warehouse.id, 'Warehouse'],
    ]);
    expect(asked).toEqual(['/v1/webhooks?limit=100', '/v1/webhooks?limit=100&cursor=n%2B1']);
  });

  it('stops after ten pages of subscriptions', async () => {
    let reads = 0;
    const read = async (): Promise<Page<Subscription>> => {
      reads += 1;
      return { data: [orders], next_cursor: 'more' };
    };
    await subscriptionNames(read);
    expect(reads).toBe(10);
  });

  it('names each delivery by its subscription, by the id when the name is unknown, and links to it', () => {
    const rows = deliveryRows(
      {
        deliveries: [
          {
            id: 'msg_1',
            webhook_id: orders.id,
            status: 'succeeded',
            attempt_count: 1,
            created_at: '2026-12-07T10:00:00.000Z',
            updated_at: '2026-12-07T10:00:01.000Z',
            last_attempt: { at: '2026-12-07T10:00:01.000Z', status_code: 200, error: null, latency_ms: 12.4 },
          },
          {
            id: 'msg_2',
            webhook_id: 'sub_deleted',
            status: 'pending',
            attempt_count: 2,
            created_at: '2026-12-07T10:00:00.000Z',
            updated_at: '2026-12-07T10:05:00.000Z',
            last_attempt: {
              at: '2026-12-07T10:05:00.000Z',
              status_code: null,
              error: 'timeout',
              latency_ms: 15000,
            },
          },
        ],
      },
      new Map([[orders.id, 'Orders']]),
      at,
    );

    expect(rows).toEqual([
      {
        id: 'msg_1',
        subscription: 'Orders',
        named: true,
        status: 'succeeded',
        statusLabel: 'Succeeded',
        attempts: '1 attempt',
        lastAnswer: 'HTTP 200 in 12 ms, at 2026-12-07T10:00:01.000Z',
        href: `#/webhooks/${orders.id}/deliveries/msg_1`,
      },
      {
        id: 'msg_2',
        subscription: 'sub_deleted',
        named: false,
        status: 'pending',
        statusLabel: 'Pending',
        attempts: '2 attempts',
        lastAnswer: 'Timed out in 15000 ms, at 2026-12-07T10:05:00.000Z',
        href: '#/webhooks/sub_deleted/deliveries/msg_2',
      },
    ]);
  });

  it('says when a delivery has no answer yet, or one of unknown outcome', () => {
    expect(lastAnswerWords(null, at)).toBe('Not attempted yet');
    expect(
      lastAnswerWords(
        { at: '2026-12-07T10:00:00.000Z', status_code: null, error: 'outcome_unknown', latency_ms: null },
        at,
      ),
    ).toBe('Outcome unknown, at 2026-12-07T10:00:00.000Z');
  });

  it('pretty-prints the event’s data', () => {
    expect(prettyJson({ id: 'ord_1042', lines: [1] })).toBe(
      '{\n  "id": "ord_1042",\n  "lines": [\n    1\n  ]\n}',
    );
    expect(prettyJson(undefined)).toBe('null');
  });

  it('words an unknown event for people, and leaves any other failure to be tried again', () => {
    expect(missingEvent(new ApiError(404, 'not_found', 'Event evt_x not found'))?.title).toBe(
      'Event not found',
    );
    expect(missingEvent(new ApiError(500, 'internal', 'The API answered 500'))).toBeUndefined();
    expect(missingEvent(new ApiError(0, 'network', 'The API could not be reached.'))).toBeUndefined();
    expect(unreadableEvent('The API answered 500')).toEqual({
      title: 'The event could not be read',
      text: 'The API answered 500',
    });
  });
});
