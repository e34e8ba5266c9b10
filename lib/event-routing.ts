import { Token } from 'aws-cdk-lib';
import { EventBus, type EventPattern, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { defaultEventBusName, type QueueName, rules } from '../functions/core/platform.ts';
import type { WorkQueue } from './work-queue.ts';

export interface EventRoutingProps {
  /**
   * A bus that exists already (e.g. the one an application's services publish on): the rules are added to it
   * and nothing else about it changes. Give this or {@link eventBusName}, not both.
   * @default - a new bus, named {@link eventBusName}
   */
  readonly eventBus?: IEventBus;
  /**
   * The name of the new bus publishers put events on; it is part of their configuration, so it is not generated.
   * @default `defaultEventBusName` of platform.ts
   */
  readonly eventBusName?: string;
  /** The queues the rules of platform.ts send to, by name. */
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
}

/**
 * The event bus (a new one, or one given) and one rule per `rules` entry of platform.ts, each sending matching
 * events to its queue.
 * Events EventBridge cannot deliver (after its retries) go to that queue's dead-letter queue instead of being
 * dropped, so one redrive replays them with the rest.
 */
export class EventRouting extends Construct {
  /** The bus publishers put events on. */
  public readonly eventBus: IEventBus;
  /** The rules, by their platform.ts name. */
  public readonly rules: ReadonlyMap<string, Rule>;

  public constructor(scope: Construct, id: string, props: EventRoutingProps) {
    super(scope, id);
    if (props.eventBus !== undefined) {
      if (props.eventBusName !== undefined) {
        throw new Error(
          `${this.node.path}: give eventBus (a bus that exists) or eventBusName (for a new bus), not both`,
        );
      }
      this.eventBus = props.eventBus;
    } else {
      const eventBusName = props.eventBusName ?? defaultEventBusName;
      if (!Token.isUnresolved(eventBusName) && !/^[A-Za-z0-9._-]{1,256}$/.test(eventBusName)) {
        throw new Error(
          `${this.node.path}: eventBusName must be 1-256 letters, digits, '.', '_' or '-', got '${eventBusName}'`,
        );
      }
      if (eventBusName === 'default') {
        throw new Error(
          `${this.node.path}: eventBusName cannot be 'default': the platform creates its own bus ` +
            '(to use the default bus, pass it as eventBus)',
        );
      }
      this.eventBus = new EventBus(this, 'Bus', {
        eventBusName,
        description: 'Business events for webhooks',
      });
    }

    const created = new Map<string, Rule>();
    for (const definition of rules) {
      if (created.has(definition.name)) {
        throw new Error(`${this.node.path}: two rules are named '${definition.name}' in platform.ts`);
      }
      const target = props.queues[definition.targetQueue];
      if (target === undefined) {
        throw new Error(
          `${this.node.path}: rule '${definition.name}' targets queue '${definition.targetQueue}', which is not in props.queues`,
        );
      }
      const rule = new Rule(this, `Rule-${definition.name}`, {
        eventBus: this.eventBus,
        description: definition.description,
        eventPattern: toCdkEventPattern(definition.eventPattern),
      });
      rule.addTarget(new SqsQueue(target.queue, { deadLetterQueue: target.deadLetterQueue }));
      created.set(definition.name, rule);
    }
    this.rules = created;
  }
}

/**
 * The CDK names the top-level `detail-type` key `detailType` and renders it back; every other key, and all
 * values (prefix, anything-but, ...), pass through as they are.
 */
function toCdkEventPattern(pattern: Readonly<Record<string, unknown>>): EventPattern {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    out[key === 'detail-type' ? 'detailType' : key] = value;
  }
  return out as EventPattern;
}
