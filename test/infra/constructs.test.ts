import { type App, Duration, Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { CfnKey } from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import {
  type FunctionName,
  functions,
  type QueueDefinition,
  type QueueName,
  queues,
} from '../../functions/core/platform.ts';
import { PlatformAlarms, type PlatformAlarmsProps } from '../../lib/alarms.ts';
import { DeliveryPipeline, type DeliveryPipelineProps } from '../../lib/delivery-pipeline.ts';
import { EventRouting } from '../../lib/event-routing.ts';
import { PlatformFunction } from '../../lib/platform-function.ts';
import { SecretKey } from '../../lib/secret-key.ts';
import { SubscriptionApi, type SubscriptionApiProps } from '../../lib/subscription-api.ts';
import { tableAccess } from '../../lib/table-access.ts';
import { WebhookTable } from '../../lib/webhook-table.ts';
import { WorkQueue } from '../../lib/work-queue.ts';
import { testApp } from './synth.ts';

const newStack = () => new Stack(testApp(), 'Test');

/** One WorkQueue per platform.ts queue, each with its definition unless `overrides` gives another. */
function platformQueues(
  stack: Stack,
  overrides: Partial<Record<QueueName, QueueDefinition>> = {},
): Record<QueueName, WorkQueue> {
  return Object.fromEntries(
    (Object.keys(queues) as QueueName[]).map((name) => [
      name,
      new WorkQueue(stack, `${name}Queue`, { definition: overrides[name] ?? queues[name] }),
    ]),
  ) as Record<QueueName, WorkQueue>;
}

/** A DeliveryPipeline in a stack of its own, with the given props over working defaults. */
function pipeline(props: Partial<DeliveryPipelineProps> = {}): DeliveryPipeline {
  const stack = newStack();
  return new DeliveryPipeline(stack, 'Pipeline', {
    table: new WebhookTable(stack, 'Table'),
    secretKey: new SecretKey(stack, 'SecretKey'),
    queues: platformQueues(stack),
    eventBus: new EventBus(stack, 'Bus'),
    ...props,
  });
}

/** A SubscriptionApi in a stack of its own, with the given props over working defaults. */
function subscriptionApi(props: Partial<SubscriptionApiProps> = {}): SubscriptionApi {
  const stack = newStack();
  const all = platformQueues(stack);
  return new SubscriptionApi(stack, 'Api', {
    table: new WebhookTable(stack, 'Table'),
    secretKey: new SecretKey(stack, 'SecretKey'),
    fanOutQueue: all.fanOut,
    deliveryQueue: all.delivery,
    orderedDeliveryQueue: all.orderedDelivery,
    ...props,
  });
}

describe('PlatformFunction environment binding', () => {
  it('fails synth naming each declared variable that nothing binds', () => {
    const stack = newStack();
    const fn = new PlatformFunction(stack, 'FanOut', { definition: functions.fanOut });
    new WebhookTable(stack, 'Table').grantItemsTo(fn, tableAccess.fanOut);

    expect(() => (stack.node.root as App).synth()).toThrow(
      /functions\/fan-out\/handler\.ts reads DELIVERY_QUEUE_URL, ORDERED_DELIVERY_QUEUE_URL, FAN_OUT_DLQ_URL, DELIVERY_RETENTION_DAYS .*but nothing binds them/,
    );
  });

  it('refuses a variable the definition does not declare', () => {
    const stack = newStack();
    const fn = new PlatformFunction(stack, 'Authorizer', { definition: functions.authorizer });
    const queue = new WorkQueue(stack, 'Queue', { definition: queues.delivery });

    expect(() => queue.grantSendTo(fn, 'DELIVERY_QUEUE_URL')).toThrow(
      /functions\/authorizer\/handler\.ts does not read DELIVERY_QUEUE_URL; it declares \[TABLE_NAME\]/,
    );
  });

  it('refuses to bind a variable twice to different values', () => {
    const stack = newStack();
    const fn = new PlatformFunction(stack, 'FanOut', { definition: functions.fanOut });
    fn.bindEnvironment('DELIVERY_RETENTION_DAYS', '30');

    expect(() => fn.bindEnvironment('DELIVERY_RETENTION_DAYS', '7')).toThrow(
      /DELIVERY_RETENTION_DAYS is already bound to another value/,
    );
  });

  it('synthesizes once every declared variable is bound', () => {
    const stack = newStack();
    const fn = new PlatformFunction(stack, 'Authorizer', { definition: functions.authorizer });
    new WebhookTable(stack, 'Table').grantItemsTo(fn, tableAccess.authorizer);

    expect(() => (stack.node.root as App).synth()).not.toThrow();
    expect([...fn.boundEnvironment.keys()]).toEqual(['TABLE_NAME']);
  });
});

describe('WorkQueue checks', () => {
  const withQueue = (overrides: Partial<QueueDefinition>) => () =>
    new WorkQueue(newStack(), 'Queue', { definition: { ...queues.delivery, ...overrides } });

  it('rejects a dead-letter queue that keeps messages no longer than its queue', () => {
    expect(withQueue({ deadLetterRetentionPeriodSeconds: queues.delivery.retentionPeriodSeconds })).toThrow(
      /deadLetterRetentionPeriodSeconds .* must exceed retentionPeriodSeconds/,
    );
  });

  it("lets a FIFO queue's dead-letter queue keep messages no longer than the queue (SQS resets their enqueue time there)", () => {
    const fifo = (overrides: Partial<QueueDefinition>) => () =>
      new WorkQueue(newStack(), 'Queue', { definition: { ...queues.orderedDelivery, ...overrides } });
    expect(queues.orderedDelivery.fifo).toBe(true);
    expect(
      fifo({ deadLetterRetentionPeriodSeconds: queues.orderedDelivery.retentionPeriodSeconds }),
    ).not.toThrow();
    expect(fifo({ deadLetterRetentionPeriodSeconds: 3600 })).not.toThrow();
  });

  it('rejects queue settings outside the SQS limits', () => {
    expect(withQueue({ visibilityTimeoutSeconds: 13 * 3600 })).toThrow(
      /visibilityTimeoutSeconds must be 0 to 43200/,
    );
    expect(withQueue({ maxReceiveCount: 0 })).toThrow(/maxReceiveCount must be 1 to 1000/);
    expect(withQueue({ retentionPeriodSeconds: 59 })).toThrow(/retentionPeriodSeconds must be 60 to 1209600/);
  });
});

describe('DeliveryPipeline checks', () => {
  it('rejects a consumed queue whose visibility timeout is under 6x its function timeout', () => {
    const stack = newStack();
    const tooShort = functions.slowDelivery.timeoutSeconds * 6 - 1;
    expect(
      () =>
        new DeliveryPipeline(stack, 'Pipeline', {
          table: new WebhookTable(stack, 'Table'),
          secretKey: new SecretKey(stack, 'SecretKey'),
          queues: platformQueues(stack, {
            slowDelivery: { ...queues.slowDelivery, visibilityTimeoutSeconds: tooShort },
          }),
          eventBus: new EventBus(stack, 'Bus'),
        }),
    ).toThrow(
      /mapping slowDelivery -> slowDelivery: the queue's visibilityTimeoutSeconds \(179\) must be at least 6x the function's timeoutSeconds \(30\)/,
    );
  });

  it('rejects an orderedLaneConcurrency below what an SQS mapping takes, naming the prop', () => {
    expect(() => pipeline({ orderedLaneConcurrency: 1 })).toThrow(
      'Test/Pipeline: orderedLaneConcurrency must be a whole number from 2 to 1000, got 1',
    );
  });

  it('names a platform.ts queue missing from props.queues', () => {
    const stack = newStack();
    const { retry: _, ...withoutRetry } = platformQueues(stack);
    expect(
      () =>
        new DeliveryPipeline(stack, 'Pipeline', {
          table: new WebhookTable(stack, 'Table'),
          secretKey: new SecretKey(stack, 'SecretKey'),
          queues: withoutRetry as Record<QueueName, WorkQueue>,
          eventBus: new EventBus(stack, 'Bus'),
        }),
    ).toThrow(/props\.queues has no 'retry' queue/);
  });

  it.each([
    ['no wait', []],
    ['a zero wait', [5, 0]],
    ['a fractional wait', [1.5]],
    ['a wait over a day', [86_401]],
    ['more than 20 waits', Array.from({ length: 21 }, () => 60)],
  ])('rejects a retry schedule with %s', (_, retryScheduleSeconds) => {
    expect(() => pipeline({ retryScheduleSeconds })).toThrow(
      /Pipeline: retryScheduleSeconds must be 1 to 20 waits, each whole seconds from 1 second to 1 day, got \[/,
    );
  });

  it('binds a valid retry schedule to every delivery lane, comma-separated', () => {
    const built = pipeline({ retryScheduleSeconds: [1, 60, 86_400] });
    for (const fn of [built.delivery, built.slowDelivery, built.orderedDelivery]) {
      expect(fn.boundEnvironment.get('RETRY_SCHEDULE')).toBe('1,60,86400');
    }
  });

  it.each([
    ['zero', Duration.seconds(0)],
    ['a fraction of a second', Duration.seconds(1.5)],
  ])('rejects a disableAfter of %s', (_, disableAfter) => {
    expect(() => pipeline({ disableAfter })).toThrow(
      /Pipeline: disableAfter must be whole seconds, from 1 second to 365 days, got /,
    );
  });

  it('binds disableAfter in seconds to every delivery lane', () => {
    const built = pipeline({ disableAfter: Duration.hours(1) });
    for (const fn of [built.delivery, built.slowDelivery, built.orderedDelivery]) {
      expect(fn.boundEnvironment.get('DISABLE_AFTER_SECONDS')).toBe('3600');
    }
  });

  it.each([
    ['zero', Duration.seconds(0)],
    ['over 20 seconds', Duration.seconds(21)],
  ])('rejects a deliveryTimeout of %s', (_, deliveryTimeout) => {
    expect(() => pipeline({ deliveryTimeout })).toThrow(
      /Pipeline: deliveryTimeout must be whole seconds, from 1 second to 20 seconds, got /,
    );
  });

  it('binds deliveryTimeout in seconds to every delivery lane', () => {
    const built = pipeline({ deliveryTimeout: Duration.seconds(20) });
    for (const fn of [built.delivery, built.slowDelivery, built.orderedDelivery]) {
      expect(fn.boundEnvironment.get('DELIVERY_TIMEOUT_SECONDS')).toBe('20');
    }
  });

  it.each([0, 10_000, 2.5])('rejects deliveryRetentionDays of %s', (deliveryRetentionDays) => {
    expect(() => pipeline({ deliveryRetentionDays })).toThrow(
      `Test/Pipeline: deliveryRetentionDays must be whole days, from 1 to 9999, got ${deliveryRetentionDays}`,
    );
  });

  it('binds deliveryRetentionDays to every function that writes delivery records', () => {
    const built = pipeline({ deliveryRetentionDays: 7 });
    for (const fn of [built.fanOut, built.delivery, built.slowDelivery, built.orderedDelivery]) {
      expect(fn.boundEnvironment.get('DELIVERY_RETENTION_DAYS')).toBe('7');
    }
  });
});

describe('SubscriptionApi checks', () => {
  it.each([0, 1_000_000, 2.5])('rejects subscriptionsPerAccount of %s', (subscriptionsPerAccount) => {
    expect(() => subscriptionApi({ subscriptionsPerAccount })).toThrow(
      `Test/Api: subscriptionsPerAccount must be a whole number from 1 to 999999, got ${subscriptionsPerAccount}`,
    );
  });

  it.each([0, 10_000, 2.5])('rejects deliveryRetentionDays of %s', (deliveryRetentionDays) => {
    expect(() => subscriptionApi({ deliveryRetentionDays })).toThrow(
      `Test/Api: deliveryRetentionDays must be whole days, from 1 to 9999, got ${deliveryRetentionDays}`,
    );
  });

  it('binds subscriptionsPerAccount and deliveryRetentionDays to the API function', () => {
    const api = subscriptionApi({ subscriptionsPerAccount: 5, deliveryRetentionDays: 7 });
    expect(api.apiFunction.boundEnvironment.get('SUBSCRIPTIONS_PER_ACCOUNT')).toBe('5');
    expect(api.apiFunction.boundEnvironment.get('DELIVERY_RETENTION_DAYS')).toBe('7');
  });

  it('rejects a throttle without a positive rate and a whole positive burst', () => {
    expect(() => subscriptionApi({ throttle: { rateLimit: 0, burstLimit: 10 } })).toThrow(
      /throttle needs a positive rateLimit and a whole positive burstLimit/,
    );
    expect(() => subscriptionApi({ throttle: { rateLimit: 10, burstLimit: 1.5 } })).toThrow(
      /throttle needs a positive rateLimit and a whole positive burstLimit/,
    );
  });
});

describe('SecretKey', () => {
  /** The key policy's Deny statements, as the stack renders them. */
  const denies = (key: SecretKey) =>
    (
      Stack.of(key).resolve((key.key.node.defaultChild as CfnKey).keyPolicy) as {
        Statement: { Effect: string; Condition?: unknown }[];
      }
    ).Statement.filter((s) => s.Effect === 'Deny');

  it('denies reading a secret to everyone while no role is granted decrypt (an encrypt grant opens nothing)', () => {
    const stack = newStack();
    const key = new SecretKey(stack, 'SecretKey');
    key.grantEncryptTo(new PlatformFunction(stack, 'Api', { definition: functions.api }));
    expect(denies(key)).toEqual([expect.objectContaining({ Action: ['kms:Decrypt', 'kms:ReEncrypt*'] })]);
    expect(denies(key)[0]?.Condition).toBeUndefined();
  });

  it('refuses a decrypt grant once its key policy is rendered, which would leave the role denied', () => {
    const stack = newStack();
    const key = new SecretKey(stack, 'SecretKey');
    denies(key);
    const fn = new PlatformFunction(stack, 'Delivery', { definition: functions.delivery });
    expect(() => key.grantDecryptTo(fn)).toThrow(/already rendered: grant before synthesis/);
  });
});

describe('other constructor checks', () => {
  /** PlatformAlarms over the platform's queues and functions, with the given props. */
  const alarms = (props: Partial<PlatformAlarmsProps>) => () => {
    const stack = newStack();
    const functionsByName = Object.fromEntries(
      (Object.keys(functions) as FunctionName[]).map((name) => [
        name,
        new PlatformFunction(stack, name, { definition: functions[name] }),
      ]),
    ) as Record<FunctionName, PlatformFunction>;
    const queues = platformQueues(stack);
    return new PlatformAlarms(stack, 'Alarms', {
      queues,
      functions: functionsByName,
      routing: new EventRouting(stack, 'Routing', { queues }),
      ...props,
    });
  };

  it('rejects a backlog threshold that is not a whole number of messages', () => {
    expect(alarms({ backlogThreshold: 0 })).toThrow(
      /backlogThreshold must be a whole number of messages, at least 1, got 0/,
    );
    expect(alarms({ backlogThreshold: 2.5 })).toThrow(/backlogThreshold must be a whole number/);
    expect(alarms({ backlogThreshold: 1 })).not.toThrow();
  });

  it('rejects a failure-rate threshold outside (0, 100) %, and a minimum of attempts under 1', () => {
    expect(alarms({ failureRatePercent: 0 })).toThrow(
      /failureRatePercent must be more than 0 and less than 100, got 0/,
    );
    expect(alarms({ failureRatePercent: 100 })).toThrow(/failureRatePercent must be more than 0/);
    expect(alarms({ failureRateMinimumAttempts: 0 })).toThrow(
      /failureRateMinimumAttempts must be a whole number, at least 1, got 0/,
    );
    expect(alarms({ failureRatePercent: 5, failureRateMinimumAttempts: 1 })).not.toThrow();
  });

  it('rejects an invalid or reserved bus name', () => {
    const routing = (eventBusName: string) => () => {
      const stack = newStack();
      return new EventRouting(stack, 'Routing', { eventBusName, queues: platformQueues(stack) });
    };
    expect(routing('has spaces')).toThrow(/eventBusName must be 1-256 letters/);
    expect(routing('default')).toThrow(/cannot be 'default'/);
    expect(routing('shipping-events')).not.toThrow();
  });

  it('takes an existing bus or a name for a new one, not both', () => {
    const stack = newStack();
    const eventBus = EventBus.fromEventBusName(stack, 'Existing', 'shipping-events');
    const all = platformQueues(stack);
    expect(
      () => new EventRouting(stack, 'Routing', { eventBus, eventBusName: 'webhooks', queues: all }),
    ).toThrow(/give eventBus \(a bus that exists\) or eventBusName \(for a new bus\), not both/);
    const routing = new EventRouting(stack, 'Routing2', { eventBus, queues: all });
    expect(routing.eventBus).toBe(eventBus);
  });
});
