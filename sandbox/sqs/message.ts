/**
 * Checks of what a producer sends, per the SQS API reference (SendMessage) and the Developer Guide's
 * "Message metadata" page: allowed body characters, message attribute names, types and values, and size.
 */
import {
  invalidMessageContents,
  invalidParameter,
  invalidParameterValue,
  missingParameter,
} from './errors.ts';
import type { MessageAttributeValue } from './types.ts';

/** Longest delay SQS allows, in seconds. */
export const MAX_DELAY_SECONDS = 900;
/** Longest visibility timeout SQS allows, in seconds (12 hours). */
export const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_MESSAGE_ATTRIBUTES = 10;

// Everything outside #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (lone surrogates too).
const FORBIDDEN_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Throws `InvalidMessageContents` for characters SQS does not accept. */
export function checkMessageCharacters(text: string): void {
  const match = FORBIDDEN_CHARACTER.exec(text);
  if (match !== null) throw invalidMessageContents(match[0].codePointAt(0) ?? 0);
}

/** Throws `MissingParameter` / `InvalidMessageContents` for a body SQS would refuse. */
export function checkMessageBody(body: string): void {
  if (body.length === 0) throw missingParameter('MessageBody');
  checkMessageCharacters(body);
}

/** Throws `InvalidParameterValue` unless `value` is an integer in `[min, max]`. */
export function checkIntegerParameter(
  parameter: string,
  value: number,
  min: number,
  max: number,
  reason: string,
): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalidParameter(parameter, value, reason);
}

/** 1-128 characters, each alphanumeric or ASCII punctuation (the printable ASCII range less the space). */
const FIFO_ID = /^[\x21-\x7E]{1,128}$/;

/**
 * Throws `InvalidParameterValue` for a `MessageGroupId` SQS would refuse, in the words AWS answers with (e.g.
 * for a group id holding a space).
 */
export function checkMessageGroupId(groupId: string): void {
  checkFifoId('MessageGroupId', groupId);
}

/** Throws `InvalidParameterValue` for a `MessageDeduplicationId` SQS would refuse (same rule as group ids). */
export function checkMessageDeduplicationId(deduplicationId: string): void {
  checkFifoId('MessageDeduplicationId', deduplicationId);
}

function checkFifoId(parameter: string, value: string): void {
  if (!FIFO_ID.test(value)) {
    throw invalidParameter(
      parameter,
      value,
      `${parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

/** Throws `InvalidParameterValue` for message attributes SQS would refuse. */
export function checkMessageAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>): void {
  const names = Object.keys(attributes);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw invalidParameterValue(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  for (const name of names) {
    const attribute = attributes[name];
    if (
      attribute === undefined ||
      !ATTRIBUTE_NAME.test(name) ||
      /^(aws\.|amazon\.)/i.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..')
    ) {
      throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid.`);
    }
    const dataType = attribute.dataType;
    if (dataType === '') {
      throw invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute type.`,
      );
    }
    const kind = DATA_TYPE.exec(dataType)?.[1];
    if (kind === undefined || dataType.length > 256) {
      throw invalidParameterValue(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    const empty = `Message (user) attribute '${name}' must contain a non-empty message attribute value for message attribute type '${kind}'.`;
    if (kind === 'Binary') {
      if (attribute.binaryValue === undefined || attribute.binaryValue === '')
        throw invalidParameterValue(empty);
    } else {
      const value = attribute.stringValue;
      if (value === undefined || value === '') throw invalidParameterValue(empty);
      checkMessageCharacters(value);
      if (kind === 'Number' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) {
        throw invalidParameterValue(
          `Can't cast the value of message (user) attribute '${name}' to a number.`,
        );
      }
    }
  }
}

/** Bytes a message counts against `MaximumMessageSize`: the body plus every attribute's name, type and value. */
export function messageSize(
  body: string,
  attributes: Readonly<Record<string, MessageAttributeValue>> = {},
): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.dataType, 'utf8');
    if (attribute.stringValue !== undefined) size += Buffer.byteLength(attribute.stringValue, 'utf8');
    if (attribute.binaryValue !== undefined) size += Buffer.from(attribute.binaryValue, 'base64').length;
  }
  return size;
}
