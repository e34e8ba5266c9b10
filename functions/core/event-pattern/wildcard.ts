/** A `wildcard` value that AWS refuses; the message is AWS's. */
export class InvalidWildcardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWildcardError';
  }
}

/**
 * Most `*` one wildcard value may hold before the rule counts as too complex. AWS scores complexity with a
 * state-machine evaluator it does not document; this bound reproduces its answers on the documented cases.
 */
export const MAX_WILDCARDS = 5;

/** AWS's message for a wildcard rule it considers too expensive to evaluate. */
export const TOO_COMPLEX =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

/**
 * Splits a wildcard value into its literal parts (the text between unescaped `*`), validating it as AWS
 * does: no consecutive `*`, and a backslash may only escape `*` or `\`. Positions in messages count UTF-8
 * bytes of the value as AWS quotes it (so the first character is at position 1).
 */
export function parseWildcard(value: string): string[] {
  const bytes = new TextEncoder().encode(`"${value}"`);
  const parts: number[][] = [[]];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 42) {
      if (bytes[i + 1] === 42) throw new InvalidWildcardError(`Consecutive wildcard characters at pos ${i}`);
      parts.push([]);
    } else if (b === 92) {
      const nextByte = bytes[i + 1];
      if (nextByte === 42 || nextByte === 92) {
        (parts[parts.length - 1] as number[]).push(nextByte);
        i++;
      } else {
        throw new InvalidWildcardError(`Invalid escape character at pos ${i}`);
      }
    } else {
      (parts[parts.length - 1] as number[]).push(b);
    }
  }
  const decoder = new TextDecoder();
  const literal = parts.map((p) => decoder.decode(new Uint8Array(p)));
  // Drop the quotes added for position counting.
  literal[0] = (literal[0] as string).slice(1);
  literal[literal.length - 1] = (literal[literal.length - 1] as string).slice(0, -1);
  return literal;
}

/** Builds a predicate that tests a string against parsed wildcard parts (each `*` matches zero or more characters). */
export function wildcardMatcher(parts: readonly string[]): (value: string) => boolean {
  if (parts.length === 1) {
    const only = parts[0] as string;
    return (value) => value === only;
  }
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  const middle = parts.slice(1, -1);
  const minLength = parts.reduce((n, p) => n + p.length, 0);
  return (value) => {
    if (value.length < minLength || !value.startsWith(first) || !value.endsWith(last)) return false;
    let from = first.length;
    const until = value.length - last.length;
    for (const part of middle) {
      const at = value.indexOf(part, from);
      if (at < 0 || at + part.length > until) return false;
      from = at + part.length;
    }
    return true;
  };
}
