/**
 * Queue attributes that can be set (CreateQueue, SetQueueAttributes): defaults, ranges and normalisation,
 * per the SQS API reference for CreateQueue / SetQueueAttributes.
 */
import {
  invalidAttributeName,
  invalidAttributeValue,
  invalidParameter,
  invalidParameterValue,
} from './errors.ts';
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

const FREE_TEXT = new Set(['Policy', 'KmsMasterKeyId']);
const BOOLEAN = new Set(['SqsManagedSseEnabled']);

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

/**
 * Validates and normalises attributes given to CreateQueue / SetQueueAttributes. Returns the normalised values;
 * an empty `RedrivePolicy` / `RedriveAllowPolicy` / `Policy` is kept as `''`, meaning "remove".
 */
export function normalizeSettings(
  attributes: Readonly<Record<string, string>>,
  context: SettingsContext,
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
      normalized[name] = raw === '' ? '' : JSON.stringify(parseRedrivePolicy(raw, context));
    } else if (name === 'RedriveAllowPolicy') {
      if (raw !== '') parseJsonObject('RedriveAllowPolicy', raw);
      normalized[name] = raw;
    } else if (name === 'FifoQueue') {
      if (raw === 'true')
        throw invalidParameterValue('The sandbox SQS emulator supports standard queues only.');
      if (raw !== 'false') throw invalidAttributeValue(name);
    } else {
      throw invalidAttributeName(name);
    }
  }
  return normalized;
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

function parseRedrivePolicy(raw: string, context: SettingsContext): RedrivePolicy {
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
