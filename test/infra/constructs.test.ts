import { type App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { functions, type QueueDefinition, queues } from '../../functions/core/platform.ts';
import { PlatformAlarms } from '../../lib/alarms.ts';
import { DeliveryPipeline } from '../../lib/delivery-pipeline.ts';
import { EventRouting } from '../../lib/event-routing.ts';
import { PlatformFunction } from '../../lib/platform-function.ts';
import { WebhookTable } from '../../lib/webhook-table.ts';
import { WorkQueue } from '../../lib/work-queue.ts';
import { testApp } from './synth.ts';

const newStack = () => new Stack(testApp(), 'Test');

describe('PlatformFunction environment binding', () => {
  it('fails synth naming each declared variable that nothing binds', () => {
    const stack = newStack();
    const fn = new PlatformFunction(stack, 'FanOut', { definition: functions.fanOut });
    new WebhookTable(stack, 'Table').grantReadWriteTo(fn);

    expect(() => (stack.node.root as App).synth()).toThrow(
      /functions\/fan-out\/handler\.ts reads DELIVERY_QUEUE_URL, FAN_OUT_DLQ_URL .*but nothing binds them/,
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

  it('synthesizes once every declared variable is bound', () => {
    const stack = newStack();
    const fn = new PlatformFunction(stack, 'Authorizer', { definition: functions.authorizer });
    new WebhookTable(stack, 'Table').grantReadTo(fn);

    expect(() => (stack.node.root as App).synth()).not.toThrow();
    expect([...fn.boundEnvironment.keys()]).toEqual(functions.authorizer.environment);
  });
});

describe('constructor checks', () => {
  const withQueue = (overrides: Partial<QueueDefinition>) => () =>
    new WorkQueue(newStack(), 'Queue', { definition: { ...queues.delivery, ...overrides } });

  it('rejects a dead-letter queue that keeps messages no longer than its queue', () => {
    expect(withQueue({ deadLetterRetentionPeriodSeconds: queues.delivery.retentionPeriodSeconds })).toThrow(
      /deadLetterRetentionPeriodSeconds .* must exceed retentionPeriodSeconds/,
    );
  });

  it('rejects queue settings outside the SQS limits', () => {
    expect(withQueue({ visibilityTimeoutSeconds: 13 * 3600 })).toThrow(
      /visibilityTimeoutSeconds must be 0 to 43200/,
    );
    expect(withQueue({ maxReceiveCount: 0 })).toThrow(/maxReceiveCount must be 1 to 1000/);
  });

  it('rejects a consumed queue whose visibility timeout is under 6x its function timeout', () => {
    const stack = newStack();
    const tooShort = functions.delivery.timeoutSeconds * 6 - 1;
    const definition = { ...queues.delivery, visibilityTimeoutSeconds: tooShort };
    expect(
      () =>
        new DeliveryPipeline(stack, 'Pipeline', {
          table: new WebhookTable(stack, 'Table'),
          queues: {
            fanOut: new WorkQueue(stack, 'FanOut', { definition: queues.fanOut }),
            delivery: new WorkQueue(stack, 'Delivery', { definition }),
          },
        }),
    ).toThrow(/visibilityTimeoutSeconds \(\d+\) must be at least 6x the function's timeoutSeconds/);
  });

  it('rejects a backlog threshold that is not a whole number of messages', () => {
    const alarms = (backlogThreshold: number) => () => {
      const stack = newStack();
      const queue = new WorkQueue(stack, 'Queue', { definition: queues.delivery });
      return new PlatformAlarms(stack, 'Alarms', {
        queues: { fanOut: queue, delivery: queue },
        backlogThreshold,
      });
    };
    expect(alarms(0)).toThrow(/backlogThreshold must be a whole number of messages, at least 1, got 0/);
    expect(alarms(2.5)).toThrow(/backlogThreshold must be a whole number/);
    expect(alarms(1)).not.toThrow();
  });

  it('rejects an invalid or reserved bus name', () => {
    const routing = (eventBusName: string) => () => {
      const stack = newStack();
      const queue = new WorkQueue(stack, 'Queue', { definition: queues.fanOut });
      return new EventRouting(stack, 'Routing', { eventBusName, queues: { fanOut: queue, delivery: queue } });
    };
    expect(routing('has spaces')).toThrow(/eventBusName must be 1-256 letters/);
    expect(routing('default')).toThrow(/cannot be 'default'/);
  });
});
