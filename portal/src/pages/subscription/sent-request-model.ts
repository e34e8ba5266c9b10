/**
 * How the portal shows the request a delivery sent: its body laid out for reading where it parses (JSON
 * indented, XML one element a line), and its headers as HTTP writes them. Copies are of the exact bytes.
 */
import type { SentRequest } from '../../api.ts';

/**
 * The heading of a delivery's request: sent, or tried and never reached, at its attempt's time; or, when the
 * API rebuilt it differently from what was sent (`exact` false: its subscription or the platform changed since),
 * the request as it would be sent now, which it must not call sent.
 */
export function requestTitle(
  request: Pick<SentRequest, 'attempt_at' | 'reached_endpoint' | 'exact'>,
  at: (iso: string) => string,
): string {
  const time = at(request.attempt_at);
  if (!request.exact) {
    return request.reached_endpoint
      ? `Request as it would be sent now (its attempt of ${time})`
      : `Request as it would be sent now (its attempt of ${time} never reached the endpoint)`;
  }
  return request.reached_endpoint
    ? `Request sent ${time}`
    : `Request tried ${time}, never reached the endpoint`;
}

/** Indents XML one element a line, an element holding only text on its own line; undefined when it does not nest. */
export function prettyXml(xml: string): string | undefined {
  if (!xml.trimStart().startsWith('<')) return undefined;
  const tokens = (xml.match(/<[^>]+>|[^<]+/g) ?? []).filter((token) => token.trim() !== '');
  const lines: string[] = [];
  let depth = 0;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] ?? '';
    const indent = '  '.repeat(depth);
    if (token.startsWith('</')) {
      depth--;
      if (depth < 0) return undefined;
      lines.push('  '.repeat(depth) + token);
    } else if (token.startsWith('<?') || token.startsWith('<!') || token.endsWith('/>')) {
      lines.push(indent + token);
    } else if (token.startsWith('<')) {
      const [text, close] = [tokens[index + 1], tokens[index + 2]];
      if (text !== undefined && !text.startsWith('<') && close?.startsWith('</')) {
        lines.push(indent + token + text + close);
        index += 2;
      } else {
        lines.push(indent + token);
        depth++;
      }
    } else {
      lines.push(indent + token.trim());
    }
  }
  return depth === 0 ? lines.join('\n') : undefined;
}

/** A body laid out for reading by its media type, or as it is when it does not parse. */
export function readableBody(body: string, contentType: string | undefined): string {
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('json')) {
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      return body;
    }
  }
  if (type.includes('xml')) return prettyXml(body) ?? body;
  return body;
}

/** The value of a header, whatever the case of its name. */
export function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.entries(headers).find(([key]) => key.toLowerCase() === wanted)?.[1];
}

/** Headers as an HTTP request writes them: `name: value`, one a line. */
export function headerLines(headers: Readonly<Record<string, string>>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}
