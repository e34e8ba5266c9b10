import { type IpRange, inRange, parseIp } from './cidr.ts';

/** A JSON leaf value of an event. */
export type Leaf = string | number | boolean | null;

/** Tests one leaf value of an event. */
export type LeafTest = (value: Leaf) => boolean;

/** Largest magnitude AWS compares numerically (-5.0e9..5.0e9 inclusive). */
export const NUMERIC_LIMIT = 5e9;

/** The match conditions of one field of a pattern: the field matches if any of them does. */
export interface FieldMatcher {
  /** Exact strings. */
  readonly strings: Set<string>;
  /** Exact numbers, compared as numbers (300 = 300.0 = 3e2). */
  readonly numbers: Set<number>;
  /** Whether `true`, `false` or `null` literally appear. */
  readonly literals: Set<boolean | null>;
  /** `{ "exists": true }`: any leaf value matches. */
  existsTrue: boolean;
  /** `{ "exists": false }`: matches when the field has no leaf value. */
  existsFalse: boolean;
  /** Every other condition (prefix, suffix, numeric, cidr, anything-but, ...). */
  readonly tests: LeafTest[];
}

/** An empty field matcher to fill. */
export function newFieldMatcher(): FieldMatcher {
  return {
    strings: new Set(),
    numbers: new Set(),
    literals: new Set(),
    existsTrue: false,
    existsFalse: false,
    tests: [],
  };
}

/** True when a single leaf value satisfies the field matcher. */
export function matchesLeaf(m: FieldMatcher, value: Leaf): boolean {
  if (m.existsTrue) return true;
  switch (typeof value) {
    case 'string':
      if (m.strings.has(value)) return true;
      break;
    case 'number':
      if (m.numbers.has(value)) return true;
      break;
    default:
      if (m.literals.has(value)) return true;
  }
  const tests = m.tests;
  for (let i = 0; i < tests.length; i++) {
    if ((tests[i] as LeafTest)(value)) return true;
  }
  return false;
}

/** `prefix`. */
export function prefixTest(prefix: string): LeafTest {
  return (v) => typeof v === 'string' && v.startsWith(prefix);
}

/** `suffix`. */
export function suffixTest(suffix: string): LeafTest {
  return (v) => typeof v === 'string' && v.endsWith(suffix);
}

/**
 * The regular-expression source of a string that ignores case as EventBridge's matcher (aws/event-ruler) does:
 * each UTF-16 character of the pattern matches its lower-case or its upper-case form (which may be longer: `ß`
 * also matches `SS`), and the event's value is read as it is. So `straße` matches `STRASSE`, but `strasse` does
 * not match `straße`.
 */
export function ignoreCaseSource(text: string): string {
  let source = '';
  // Code units, not code points, and no `u` flag below: Ruler reads Java chars.
  for (const character of text.split('')) {
    const forms = [...new Set([character.toLowerCase(), character.toUpperCase()])].map(escapeRegExp);
    source += forms.length === 1 ? forms[0] : `(?:${forms.join('|')})`;
  }
  return source;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function ignoreCaseTest(source: string): LeafTest {
  const expression = new RegExp(source);
  return (v) => typeof v === 'string' && expression.test(v);
}

/** `equals-ignore-case`. */
export function equalsIgnoreCaseTest(expected: string): LeafTest {
  return ignoreCaseTest(`^${ignoreCaseSource(expected)}$`);
}

/** `prefix: { equals-ignore-case }`. */
export function prefixIgnoreCaseTest(prefix: string): LeafTest {
  return ignoreCaseTest(`^${ignoreCaseSource(prefix)}`);
}

/** `suffix: { equals-ignore-case }`. */
export function suffixIgnoreCaseTest(suffix: string): LeafTest {
  return ignoreCaseTest(`${ignoreCaseSource(suffix)}$`);
}

/** A string predicate applied only to strings (for the string forms of `anything-but`). */
export type StringTest = (value: string) => boolean;

/**
 * `anything-but` in all its forms: matches any leaf value (of any type, including `null`) except the
 * strings that `excludedString` accepts and the numbers in `excludedNumbers`.
 */
export function anythingButTest(
  excludedString: StringTest | undefined,
  excludedNumbers?: Set<number>,
): LeafTest {
  return (v) => {
    if (typeof v === 'string') return !excludedString?.(v);
    if (typeof v === 'number') return !excludedNumbers?.has(v);
    return true;
  };
}

/** One bound of a numeric range. */
export interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

/** `numeric`: only JSON numbers within AWS's -5e9..5e9 range match. */
export function numericTest(lower: Bound | undefined, upper: Bound | undefined): LeafTest {
  return (v) => {
    if (typeof v !== 'number' || v < -NUMERIC_LIMIT || v > NUMERIC_LIMIT) return false;
    if (lower && (lower.inclusive ? v < lower.value : v <= lower.value)) return false;
    if (upper && (upper.inclusive ? v > upper.value : v >= upper.value)) return false;
    return true;
  };
}

/** `cidr`, and exact strings that are IP addresses (AWS compares those as addresses, not as text). */
export function ipRangeTest(range: IpRange): LeafTest {
  return (v) => {
    if (typeof v !== 'string') return false;
    const ip = parseIp(v);
    return ip !== undefined && inRange(ip, range);
  };
}
