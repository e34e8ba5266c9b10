/**
 * The MD5 digests SQS returns so that clients can check what it stored: of the body, and of the message
 * (system) attributes computed as AWS documents in "Calculating the MD5 message digest for message attributes"
 * (SQS Developer Guide): for each attribute, sorted by name, the 4-byte big-endian length and UTF-8 bytes of the
 * name and of the data type, one transport byte (1 = string, 2 = binary), then the length and bytes of the value.
 */
import { createHash } from 'node:crypto';
import type { MessageAttributeValue } from './types.ts';

/** Hex MD5 of a string's UTF-8 bytes (`MD5OfMessageBody`). */
export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

const STRING_TRANSPORT = 1;
const BINARY_TRANSPORT = 2;

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Hex MD5 of message attributes per AWS's algorithm, or `undefined` when there are none. */
export function md5OfMessageAttributes(
  attributes: Readonly<Record<string, MessageAttributeValue>> | undefined,
): string | undefined {
  if (attributes === undefined) return undefined;
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(attribute.dataType, 'utf8')));
    if (attribute.stringValue !== undefined) {
      hash.update(Buffer.of(STRING_TRANSPORT));
      hash.update(lengthPrefixed(Buffer.from(attribute.stringValue, 'utf8')));
    } else if (attribute.binaryValue !== undefined) {
      hash.update(Buffer.of(BINARY_TRANSPORT));
      hash.update(lengthPrefixed(Buffer.from(attribute.binaryValue, 'base64')));
    }
  }
  return hash.digest('hex');
}
