/**
 * Queue attributes that can be set (CreateQueue, SetQueueAttributes): defaults, ranges and normalisation,
 * per the SQS API reference for CreateQueue / SetQueueAttributes, FIFO queues' attributes included.
 */
import { invalidAttributeName, invalidAttributeValue, invalidParameter } from './errors.ts';
import { isFifoQueueName } from './queue-name.ts';
import type { QueueSettings } from './types.ts';

const INTEGER_RANGES: Record<string, readonly [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};

/** Settings of a queue created without attributes (the AWS defaults for a standard queue). */
export const DEFAULT_SETTINGS: Readonly<QueueSettings> = {
  DelaySeconds: '0',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

/** What a FIFO queue has besides {@link DEFAULT_SETTINGS} (the AWS defaults). */
export const FIFO_DEFAULT_SETTINGS: Readonly<QueueSettings> = {
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
};

const FREE_TEXT = new Set(['Policy', 'KmsMasterKeyId']);
const BOOLEAN = new Set(['SqsManagedSseEnabled']);
/** FIFO-only attributes with a fixed set of values. */
const FIFO_CHOICES: Readonly<Record<string, readonly string[]>> = {
  DeduplicationScope: ['queue', 'messageGroup'],
  FifoThroughputLimit: ['perQueue', 'perMessageGroupId'],
};

/** Attributes computed by the emulator, readable through GetQueueAttributes but not settable. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

/** Every attribute name GetQueueAttributes accepts (besides `All`). */
export const READABLE_ATTRIBUTES: ReadonlySet<string> = new Set([
  ...COMPUTED_ATTRIBUTES,
  ...Object.keys(INTEGER_RANGES),
  ...FREE_TEXT,
  ...BOOLEAN,
  ...Object.keys(FIFO_DEFAULT_SETTINGS),
  'RedrivePolicy',
  'RedriveAllowPolicy',
]);

/** A parsed `RedrivePolicy`. */
export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

/** What settings validation needs to know about the world. */
export interface SettingsContext {
  /** Whether a queue with this ARN exists (a dead-letter target must). */
  queueExists(arn: string): boolean;
}

/** The queue the attributes are for. */
export interface SettingsTarget {
  /** Whether it is (or is being created as) a FIFO queue. */
  readonly fifo: boolean;
  /** Its settings before this change; absent at creation. */
  readonly current?: Readonly<QueueSettings>;
}

/**
 * Validates and normalises attributes given to CreateQueue / SetQueueAttributes for a queue of `target`'s
 * type. Returns the normalised values; an empty `RedrivePolicy` / `RedriveAllowPolicy` / `Policy` is kept as
 * `''`, meaning "remove".
 */
export function normalizeSettings(
  attributes: Readonly<Record<string, string>>,
  context: SettingsContext,
  target: SettingsTarget = { fifo: false },
): QueueSettings {
  const normalized: QueueSettings = {};
  for (const [name, raw] of Object.entries(attributes)) {
    if (typeof raw !== 'string') throw invalidAttributeValue(name);
    const range = INTEGER_RANGES[name];
    if (range !== undefined) {
      const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
      if (!Number.isSafeInteger(value) || value < range[0] || value > range[1])
        throw invalidAttributeValue(name);
      normalized[name] = String(value);
    } else if (BOOLEAN.has(name)) {
      if (raw !== 'true' && raw !== 'false') throw invalidAttributeValue(name);
      normalized[name] = raw;
    } else if (FREE_TEXT.has(name)) {
      normalized[name] = raw;
    } else if (name === 'RedrivePolicy') {
      normalized[name] = raw === '' ? '' : JSON.stringify(parseRedrivePolicy(raw, context, target.fifo));
    } else if (name === 'RedriveAllowPolicy') {
      if (raw !== '') parseJsonObject('RedriveAllowPolicy', raw);
      normalized[name] = raw;
    } else if (Object.hasOwn(FIFO_DEFAULT_SETTINGS, name)) {
      normalized[name] = fifoAttribute(name, raw, target);
    } else {
      throw invalidAttributeName(name);
    }
  }
  if (target.fifo) checkHighThroughputPair(normalized, target.current ?? FIFO_DEFAULT_SETTINGS);
  return normalized;
}

/**
 * A FIFO-only attribute's normalised value. On a standard queue `FifoQueue` and `ContentBasedDeduplication`
 * are unknown attributes (even `FifoQueue=false`) and the high throughput ones are refused by name, as AWS
 * answers; a FIFO queue's type cannot change. Booleans are accepted in any case (`True`) and kept lower case.
 */
function fifoAttribute(name: string, raw: string, target: SettingsTarget): string {
  if (!target.fifo) {
    if (Object.hasOwn(FIFO_CHOICES, name))
      throw invalidAttributeName(name, `You can specify the ${name} only when FifoQueue is set to true.`);
    throw invalidAttributeName(name);
  }
  const choices = FIFO_CHOICES[name];
  if (choices !== undefined) {
    if (!choices.includes(raw)) throw invalidAttributeValue(name);
    return raw;
  }
  const value = raw.toLowerCase();
  if (value !== 'true' && value !== 'false') throw invalidAttributeValue(name);
  if (name === 'FifoQueue' && value !== 'true')
    throw invalidAttributeValue(name, 'Modifying queue type is not supported.');
  return value;
}

/**
 * `FifoThroughputLimit=perMessageGroupId` is allowed only with `DeduplicationScope=messageGroup` (API
 * Reference, CreateQueue), judged on the values the queue will have once `changed` applies. The wording of the
 * refusal is the sandbox's (AWS's is not documented), in the shape of AWS's other attribute errors.
 */
function checkHighThroughputPair(changed: Readonly<QueueSettings>, current: Readonly<QueueSettings>): void {
  const limit = changed.FifoThroughputLimit ?? current.FifoThroughputLimit;
  const scope = changed.DeduplicationScope ?? current.DeduplicationScope;
  if (limit === 'perMessageGroupId' && scope !== 'messageGroup') {
    throw invalidAttributeValue(
      'FifoThroughputLimit',
      'perMessageGroupId is allowed only when DeduplicationScope is messageGroup.',
    );
  }
}

function parseJsonObject(parameter: string, raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidParameter(parameter, raw, `Invalid value for ${parameter}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidParameter(parameter, raw, `Invalid value for ${parameter}.`);
  }
  return parsed as Record<string, unknown>;
}

function parseRedrivePolicy(raw: string, context: SettingsContext, fifo: boolean): RedrivePolicy {
  const parsed = parseJsonObject('RedrivePolicy', raw);
  const arn = parsed.deadLetterTargetArn;
  if (typeof arn !== 'string' || arn === '') {
    throw invalidParameter(
      'RedrivePolicy',
      raw,
      'Redrive policy does not contain mandatory attribute: deadLetterTargetArn.',
    );
  }
  if (parsed.maxReceiveCount === undefined) {
    throw invalidParameter(
      'RedrivePolicy',
      raw,
      'Redrive policy does not contain mandatory attribute: maxReceiveCount.',
    );
  }
  const count = Number(parsed.maxReceiveCount);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalidParameter(
      'RedrivePolicy',
      raw,
      `Invalid value for maxReceiveCount: ${String(parsed.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  if (!context.queueExists(arn))
    throw invalidParameter('RedrivePolicy', raw, 'Dead letter target does not exist.');
  // A FIFO queue's dead-letter queue is FIFO, a standard queue's standard; the name tells them apart. The
  // doubled full stop is AWS's.
  if (isFifoQueueName(arn.split(':').pop() ?? '') !== fifo) {
    throw invalidParameter(
      'RedrivePolicy',
      raw,
      'Dead-letter queue must be same type of queue as the source..',
    );
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

/** The queue's redrive policy, if it has one. */
export function redrivePolicyOf(settings: Readonly<QueueSettings>): RedrivePolicy | undefined {
  const raw = settings.RedrivePolicy;
  if (raw === undefined || raw === '') return undefined;
  return JSON.parse(raw) as RedrivePolicy;
}

/** An integer setting (seconds or bytes) with its default. */
export function integerSetting(settings: Readonly<QueueSettings>, name: keyof typeof INTEGER_RANGES): number {
  return Number(settings[name] ?? DEFAULT_SETTINGS[name] ?? 0);
}
