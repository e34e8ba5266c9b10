import { isUtf8 } from 'node:buffer';
import { nestsDeeperThan } from '../json-depth.ts';
import { HttpProblem, problems } from './problem.ts';

/** The largest request body the API reads: 256 KiB. */
export const maxBodyBytes = 256 * 1024;
/** The deepest nesting of arrays and objects a body may have (Node's JSON parser overflows near 4,100). */
export const maxBodyDepth = 64;

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
/** A `charset` parameter of a media type, its value possibly quoted. */
const charsetParameter = /;\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]*))/gi;
/** JSON's whitespace: a body of only these has no value, as if it had none. */
const onlyWhitespace = /^[ \t\n\r]*$/;

/** What a request carries as its body. */
export interface RawBody {
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly contentType?: string;
  /** The `Content-Encoding` header: bodies are never decompressed, so only `identity` (or none) is read. */
  readonly contentEncoding?: string;
}

const unsupported = (field: string, message: string, detail: string) =>
  new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', detail, [{ field, message }]);

/** A 415 unless the media type is JSON, in UTF-8 (the only charset JSON has, RFC 8259) if one is named. */
function checkMediaType(contentType: string | undefined): void {
  if (!jsonMediaType.test(contentType ?? '')) throw problems.unsupportedMediaType();
  for (const [, quoted, token] of (contentType ?? '').matchAll(charsetParameter)) {
    const charset = (quoted ?? token ?? '').toLowerCase();
    if (charset !== 'utf-8') {
      throw unsupported(
        'content-type',
        'must name charset utf-8 or none',
        `Send the body as application/json in UTF-8, not charset ${charset.slice(0, 40)}`,
      );
    }
  }
}

/** A 415 for a body in any content coding but `identity`: the API does not decompress. */
function checkEncoding(contentEncoding: string | undefined): void {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '');
  if (codings.every((coding) => coding === 'identity')) return;
  throw unsupported(
    'content-encoding',
    'must be identity (bodies are not decompressed)',
    'Send the body uncompressed, without Content-Encoding',
  );
}

/**
 * The JSON body of a request, or undefined when it has none (or only whitespace). A body over
 * {@link maxBodyBytes} is a 413; another media type, a charset other than UTF-8 or a content coding other
 * than `identity` a 415; bytes that are not UTF-8, broken or too deeply nested JSON a 400, each as
 * problem+json, so that no input is stored with replacement characters or can make the parser (or what walks
 * the result later) fail with a 500.
 */
export function parseJsonBody({ body, isBase64Encoded, contentType, contentEncoding }: RawBody): unknown {
  if (typeof body !== 'string' || body === '') return undefined;
  // API Gateway passes a body that is not text (by its media type or its bytes) base64-encoded.
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : undefined;
  if ((bytes?.length ?? Buffer.byteLength(body)) > maxBodyBytes) throw problems.payloadTooLarge(maxBodyBytes);
  // Decoded with replacement characters only to be looked at: bytes that are not UTF-8 are refused below.
  const text = bytes === undefined ? body : bytes.toString('utf8');
  if (onlyWhitespace.test(text)) return undefined;
  checkEncoding(contentEncoding);
  checkMediaType(contentType);
  if (bytes !== undefined && !isUtf8(bytes)) {
    throw problems.malformedBody('The body is not valid UTF-8, the only encoding JSON has (RFC 8259)');
  }
  if (nestsDeeperThan(text, maxBodyDepth)) {
    throw problems.malformedBody(`The body nests arrays and objects deeper than ${maxBodyDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw problems.malformedBody((error as Error).message);
  }
}
