import { problems } from './problem.ts';

/** The largest request body the API reads: 256 KiB. */
export const maxBodyBytes = 256 * 1024;
/** The deepest nesting of arrays and objects a body may have (Node's JSON parser overflows near 4,100). */
export const maxBodyDepth = 64;

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The deepest nesting of `[` and `{` outside strings in JSON text. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}

/** What a request carries as its body. */
export interface RawBody {
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly contentType?: string;
}

/**
 * The JSON body of a request, or undefined when it has none. A body over {@link maxBodyBytes} is a 413,
 * another media type a 415, broken or too deeply nested JSON a 400, each as problem+json, so that no input
 * can make the parser (or what walks the result later) fail with a 500.
 */
export function parseJsonBody({ body, isBase64Encoded, contentType }: RawBody): unknown {
  if (typeof body !== 'string' || body === '') return undefined;
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(text) > maxBodyBytes) throw problems.payloadTooLarge(maxBodyBytes);
  if (!jsonMediaType.test(contentType ?? '')) throw problems.unsupportedMediaType();
  if (nestingDepth(text) > maxBodyDepth) {
    throw problems.malformedBody(`The body nests arrays and objects deeper than ${maxBodyDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw problems.malformedBody((error as Error).message);
  }
}
