import { type IpRange, inRange, ipKey, parseIp } from './cidr.ts';

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
  /** Exact strings that are IP addresses, by {@link ipKey}: AWS compares those as addresses, not as text. */
  readonly addresses: Set<string>;
  /** `cidr` ranges. */
  readonly ranges: IpRange[];
  /** Every other condition (prefix, suffix, numeric, anything-but, ...). */
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
    addresses: new Set(),
    ranges: [],
    tests: [],
  };
}

/** True when a single leaf value satisfies the field matcher. */
export function matchesLeaf(m: FieldMatcher, value: Leaf): boolean {
  if (m.existsTrue) return true;
  switch (typeof value) {
    case 'string':
      if (m.strings.has(value)) return true;
      if ((m.addresses.size > 0 || m.ranges.length > 0) && matchesIp(m, value)) return true;
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

/** The value read as an IP address once, then looked up among the exact addresses and the ranges. */
function matchesIp(m: FieldMatcher, value: string): boolean {
  const ip = parseIp(value);
  if (ip === undefined) return false;
  if (m.addresses.has(ipKey(ip))) return true;
  for (let i = 0; i < m.ranges.length; i++) {
    if (inRange(ip, m.ranges[i] as IpRange)) return true;
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
  for (const character of text.split('')) source += formsSource(caseForms(character));
  return source;
}

/**
 * The forms a character of the pattern matches. No form of a character is a prefix or a suffix of another
 * (checked over all of UTF-16), so an expression of them is matched without backtracking, in either direction.
 */
function caseForms(character: string): string[] {
  return [...new Set([character.toLowerCase(), character.toUpperCase()])];
}

function formsSource(forms: readonly string[]): string {
  const escaped = forms.map(escapeRegExp);
  return escaped.length === 1 ? (escaped[0] as string) : `(?:${escaped.join('|')})`;
}

function reversed(text: string): string {
  return text.split('').reverse().join('');
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

/**
 * `suffix: { equals-ignore-case }`, matched backwards from the value's end: an expression ending in `$` would be
 * tried from every position of the value, which for a long value and a long suffix takes seconds.
 */
export function suffixIgnoreCaseTest(suffix: string): LeafTest {
  let source = '^';
  let longest = 0;
  for (const character of suffix.split('').reverse()) {
    const forms = caseForms(character);
    longest += Math.max(...forms.map((form) => form.length));
    source += formsSource(forms.map(reversed));
  }
  const expression = new RegExp(source);
  return (v) => typeof v === 'string' && expression.test(reversed(longest === 0 ? '' : v.slice(-longest)));
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
