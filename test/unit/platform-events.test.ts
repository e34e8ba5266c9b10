import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileEventPattern } from '#core/event-pattern/index.ts';
import {
  type CircuitClosedEvent,
  type CircuitOpenedEvent,
  type DeliveryFailedEvent,
  type DeliveryRecoveredEvent,
  type PlatformEvent,
  platformEventEntry,
  type WebhookDisabledEvent,
} from '#core/events/platform-events.ts';
import { rules } from '#core/platform.ts';

const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));

/** One event of each type, every detail field set (an object literal: a field more or less fails to compile). */
const examples: { readonly [T in PlatformEvent['type']]: Extract<PlatformEvent, { type: T }> } = {
  'webhook.disabled': {
    type: 'webhook.disabled',
    detail: {
      account_id: 'acc_1',
      webhook_id: 'sub_1',
      reason: 'The endpoint answered 410 Gone',
      disabled_at: '2026-12-06T20:00:00.000Z',
    },
  } satisfies WebhookDisabledEvent,
  'delivery.failed': {
    type: 'delivery.failed',
    detail: {
      account_id: 'acc_1',
      webhook_id: 'sub_1',
      delivery_id: 'del_1',
      event_id: 'evt_1',
      event_type: 'order.created',
      attempts: 8,
      reason: 'HTTP 500',
      failed_at: '2026-12-06T20:00:00.000Z',
    },
  } satisfies DeliveryFailedEvent,
  'delivery.recovered': {
    type: 'delivery.recovered',
    detail: {
      account_id: 'acc_1',
      webhook_id: 'sub_1',
      delivery_id: 'del_1',
      event_id: 'evt_1',
      failing_since: '2026-12-06T19:00:00.000Z',
      recovered_at: '2026-12-06T20:00:00.000Z',
    },
  } satisfies DeliveryRecoveredEvent,
  'webhook.circuit_opened': {
    type: 'webhook.circuit_opened',
    detail: {
      account_id: 'acc_1',
      webhook_id: 'sub_1',
      opened_at: '2026-12-06T20:00:00.000Z',
      consecutive_failures: 5,
      last_error: 'HTTP 503',
      next_probe_at: '2026-12-06T20:00:05.000Z',
    },
  } satisfies CircuitOpenedEvent,
  'webhook.circuit_closed': {
    type: 'webhook.circuit_closed',
    detail: {
      account_id: 'acc_1',
      webhook_id: 'sub_1',
      opened_at: '2026-12-06T20:00:00.000Z',
      closed_at: '2026-12-06T20:07:45.000Z',
    },
  } satisfies CircuitClosedEvent,
};
const events = Object.values(examples);

/** The bus event EventBridge makes of a PutEvents entry, as far as the rules' patterns read it. */
const busEventOf = (entry: ReturnType<typeof platformEventEntry>) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': entry.DetailType,
  source: entry.Source,
  account: '123456789012',
  time: '2026-12-06T20:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: JSON.parse(entry.Detail) as unknown,
});

describe("the platform's own events", () => {
  it.each(events.map((event) => [event.type, event] as const))(
    'puts %s on the bus under the source hookbridge, its detail as JSON',
    (type, event) => {
      expect(platformEventEntry(event, 'webhooks')).toEqual({
        EventBusName: 'webhooks',
        Source: 'hookbridge',
        DetailType: type,
        Detail: JSON.stringify(event.detail),
      });
    },
  );

  it('says when a circuit opened and closed with the details operators route on, snake_case as the others', () => {
    expect(JSON.parse(platformEventEntry(examples['webhook.circuit_opened'], 'webhooks').Detail)).toEqual({
      account_id: 'acc_1',
      webhook_id: 'sub_1',
      opened_at: '2026-12-06T20:00:00.000Z',
      consecutive_failures: 5,
      last_error: 'HTTP 503',
      next_probe_at: '2026-12-06T20:00:05.000Z',
    });
    expect(JSON.parse(platformEventEntry(examples['webhook.circuit_closed'], 'webhooks').Detail)).toEqual({
      account_id: 'acc_1',
      webhook_id: 'sub_1',
      opened_at: '2026-12-06T20:00:00.000Z',
      closed_at: '2026-12-06T20:07:45.000Z',
    });
    for (const event of events) {
      for (const field of Object.keys(event.detail)) expect(field, event.type).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });

  it.each(events.map((event) => [event.type, event] as const))(
    'never reaches subscribers: no rule that feeds fan-out matches %s',
    (_, event) => {
      const busEvent = busEventOf(platformEventEntry(event, 'webhooks'));
      for (const rule of rules) {
        expect(compileEventPattern(rule.eventPattern).matches(busEvent), rule.name).toBe(false);
      }
    },
  );

  it.each(events.map((event) => [event.type, event] as const))(
    "is in README's table of platform events with exactly its detail fields: %s",
    async (type, event) => {
      const readme = await readFile(readmePath, 'utf8');
      const rows = readme.split('\n').filter((line) => line.startsWith(`| \`${type}\` |`));

      expect(rows).toHaveLength(1);
      const fields = rows[0]?.split(' | ').at(-1)?.replace(/ \|$/, '').split(', ');
      expect(fields).toEqual(Object.keys(event.detail).map((field) => `\`${field}\``));
    },
  );
});
