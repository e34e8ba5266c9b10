import { InvalidCidrError, ipKey, looksLikeIp, parseCidr, parseIp } from './cidr.ts';
import { InvalidEventPatternError } from './errors.ts';
import { JsonReader, type TokenKind } from './json-reader.ts';
import {
  anythingButTest,
  type Bound,
  equalsIgnoreCaseTest,
  type FieldMatcher,
  ignoreCaseSource,
  type LeafTest,
  NUMERIC_LIMIT,
  newFieldMatcher,
  numericTest,
  prefixIgnoreCaseTest,
  prefixTest,
  type StringTest,
  suffixIgnoreCaseTest,
  suffixTest,
} from './operators.ts';
import {
  InvalidWildcardError,
  MAX_WILDCARDS,
  parseWildcard,
  TOO_COMPLEX,
  wildcardMatcher,
} from './wildcard.ts';

/**
 * A condition on one field: the field's dotted path (AWS joins nested names with `.`, so `{"a": {"b": ...}}`
 * and `{"a.b": ...}` name the same field) and the values it accepts.
 */
export interface FieldCondition {
  readonly kind: 'field';
  readonly path: string;
  /** The path split on `.`: the nodes from the event's root down to the field. */
  readonly segments: readonly string[];
  readonly matcher: FieldMatcher;
  /** Position in the pattern's text: of two conditions on one path, the later one holds. */
  readonly order: number;
}

/** An `$or`: the event must match one of the alternatives, each a sequence of terms. */
export interface OrTerm {
  readonly kind: 'or';
  readonly alternatives: readonly (readonly Term[])[];
  readonly order: number;
}

/** What a pattern says, in the order its text says it: conditions on fields and `$or`s. */
export type Term = FieldCondition | OrTerm;

const OR = '$or';

/** Names that may not be fields inside `$or` (AWS reserves them). */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

const RANGE_MESSAGE = `Value must be between ${-NUMERIC_LIMIT / 1e9}.0E9 and ${NUMERIC_LIMIT / 1e9}.0E9, inclusive`;

/**
 * Reads and validates a pattern's JSON text in document order, stopping at the first thing AWS refuses
 * with AWS's message, and returns what it says as terms in that order. Nothing is multiplied out: an `$or`
 * stays one term holding its alternatives, so the result is linear in the text's length.
 */
export function parsePattern(text: string): Term[] {
  return new PatternParser(text).parse();
}

class PatternParser {
  private readonly r: JsonReader;
  private tooComplex = false;
  private order = 0;

  constructor(text: string) {
    this.r = new JsonReader(text);
  }

  parse(): Term[] {
    if (this.r.next() !== 'START_OBJECT') this.r.fail('Filter is not an object');
    const terms: Term[] = [];
    this.parseObject(terms, '', false);
    // AWS scores wildcard complexity when it adds the compiled rule, after the whole pattern parsed.
    if (this.tooComplex) throw new InvalidEventPatternError(TOO_COMPLEX);
    return terms;
  }

  private parseObject(terms: Term[], path: string, insideOr: boolean): void {
    const r = this.r;
    let fields = 0;
    while (r.next() !== 'END_OBJECT') {
      fields++;
      const name = r.text();
      if (name === OR) {
        this.parseOr(terms, path);
        continue;
      }
      if (insideOr && RESERVED_IN_OR.has(name)) {
        r.fail(`${name} is Ruler reserved fieldName which cannot be used inside ${OR}.`);
      }
      const fieldPath = path === '' ? name : `${path}.${name}`;
      switch (r.next()) {
        case 'START_OBJECT':
          this.parseObject(terms, fieldPath, insideOr);
          break;
        case 'START_ARRAY':
          this.parseValues(terms, fieldPath);
          break;
        default:
          r.fail(`"${name}" must be an object or an array`);
      }
    }
    if (fields === 0) r.fail('Empty objects are not allowed');
  }

  private parseOr(terms: Term[], path: string): void {
    const r = this.r;
    const order = this.order++;
    if (r.next() !== 'START_ARRAY') r.fail(`It must be an Array followed with ${OR}.`);
    const alternatives: Term[][] = [];
    for (let token = r.next(); token !== 'END_ARRAY'; token = r.next()) {
      if (token !== 'START_OBJECT') r.fail(`Only JSON object is allowed in array of ${OR} relationship.`);
      const alternative: Term[] = [];
      this.parseObject(alternative, path, true);
      alternatives.push(alternative);
    }
    if (alternatives.length < 2) r.fail(`There must have at least 2 Objects in ${OR} relationship.`);
    terms.push({ kind: 'or', alternatives, order });
  }

  private parseValues(terms: Term[], path: string): void {
    const r = this.r;
    const m = newFieldMatcher();
    let values = 0;
    for (let token = r.next(); token !== 'END_ARRAY'; token = r.next()) {
      values++;
      switch (token) {
        case 'START_OBJECT':
          this.parseMatchExpression(m);
          break;
        case 'VALUE_STRING': {
          const value = r.text();
          m.strings.add(value);
          // AWS compares an exact value that is an IP address as an address (2001:db8::1 = 2001:0db8:0:0:0:0:0:1).
          const ip = looksLikeIp(value) ? parseIp(value) : undefined;
          if (ip) m.addresses.add(ipKey(ip));
          break;
        }
        case 'VALUE_NUMBER':
          m.numbers.add(Number(r.text()));
          break;
        case 'VALUE_TRUE':
          m.literals.add(true);
          break;
        case 'VALUE_FALSE':
          m.literals.add(false);
          break;
        case 'VALUE_NULL':
          m.literals.add(null);
          break;
        default:
          r.fail('Match value must be String, number, true, false, or null');
      }
    }
    if (values === 0) r.fail('Empty arrays are not allowed');
    // A path given twice keeps its last condition, as the user guide notes: `order` says which is last.
    terms.push({ kind: 'field', path, segments: path.split('.'), matcher: m, order: this.order++ });
  }

  private expectEnd(): void {
    if (this.r.next() !== 'END_OBJECT') this.r.fail('Only one key allowed in match expression');
  }

  private tooManyElements(): never {
    this.r.fail('Too many elements in numeric expression');
  }

  private parseMatchExpression(m: FieldMatcher): void {
    const r = this.r;
    if (r.next() !== 'FIELD_NAME') r.fail('Match expression name not found');
    const op = r.text();
    switch (op) {
      case 'prefix':
      case 'suffix': {
        const token = r.next();
        if (token === 'START_OBJECT') {
          this.parseIgnoreCaseAffix(m, op);
          return;
        }
        if (token !== 'VALUE_STRING') r.fail(`${op} match pattern must be a string`);
        m.tests.push(op === 'prefix' ? prefixTest(r.text()) : suffixTest(r.text()));
        this.expectEnd();
        return;
      }
      case 'numeric':
        if (r.next() !== 'START_ARRAY') r.fail('Value of numeric must be an array.');
        m.tests.push(this.parseNumeric());
        if (r.next() !== 'END_OBJECT') this.tooManyElements();
        return;
      case 'anything-but':
        this.parseAnythingBut(m);
        return;
      case 'exists': {
        const token = r.next();
        if (token === 'VALUE_TRUE') m.existsTrue = true;
        else if (token === 'VALUE_FALSE') m.existsFalse = true;
        else r.fail('exists match pattern must be either true or false.');
        this.expectEnd();
        return;
      }
      case 'cidr': {
        // AWS names the wrong match type in this message.
        if (r.next() !== 'VALUE_STRING') r.fail('prefix match pattern must be a string');
        const range = (() => {
          try {
            return parseCidr(r.text());
          } catch (error) {
            if (error instanceof InvalidCidrError) throw new InvalidEventPatternError(error.message);
            throw error;
          }
        })();
        this.expectEnd();
        m.ranges.push(range);
        return;
      }
      case 'equals-ignore-case':
        if (r.next() !== 'VALUE_STRING') r.fail('equals-ignore-case match pattern must be a string');
        m.tests.push(equalsIgnoreCaseTest(r.text()));
        this.expectEnd();
        return;
      case 'wildcard': {
        if (r.next() !== 'VALUE_STRING') r.fail('wildcard match pattern must be a string');
        const match = wildcardMatcher(this.wildcardParts(r.text()));
        m.tests.push((v) => typeof v === 'string' && match(v));
        this.expectEnd();
        return;
      }
      default:
        r.fail(`Unrecognized match type ${op}`);
    }
  }

  private wildcardParts(value: string): string[] {
    try {
      const parts = parseWildcard(value);
      if (parts.length - 1 > MAX_WILDCARDS) this.tooComplex = true;
      return parts;
    } catch (error) {
      if (error instanceof InvalidWildcardError) this.r.fail(error.message);
      throw error;
    }
  }

  private parseIgnoreCaseAffix(m: FieldMatcher, op: 'prefix' | 'suffix'): void {
    const r = this.r;
    const title = op === 'prefix' ? 'Prefix' : 'Suffix';
    if (r.next() !== 'FIELD_NAME') r.fail(`${title} expression name not found`);
    const inner = r.text();
    if (inner !== 'equals-ignore-case') r.fail(`Unsupported ${op} pattern: ${inner}`);
    if (r.next() !== 'VALUE_STRING') r.fail('equals-ignore-case match pattern must be a string');
    m.tests.push(op === 'prefix' ? prefixIgnoreCaseTest(r.text()) : suffixIgnoreCaseTest(r.text()));
    this.expectEnd();
    this.expectEnd();
  }

  private number(text: string): number {
    const value = Number(text);
    if (value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) this.r.fail(RANGE_MESSAGE);
    return value;
  }

  private parseNumeric(): LeafTest {
    const r = this.r;
    if (r.next() !== 'VALUE_STRING') r.fail(`Invalid member in numeric match: ${r.displayText()}`);
    const op = r.text();
    const token = r.next();
    const isNumber = token === 'VALUE_NUMBER';
    const operand = isNumber ? r.text() : '';
    switch (op) {
      case '=': {
        if (!isNumber) r.fail('Value of equals must be numeric');
        if (r.next() !== 'END_ARRAY') this.tooManyElements();
        const value = this.number(operand);
        return numericTest({ value, inclusive: true }, { value, inclusive: true });
      }
      case '>':
      case '>=': {
        if (!isNumber) r.fail(`Value of ${op} must be numeric`);
        const next = r.next();
        if (next === 'END_ARRAY')
          return numericTest({ value: this.number(operand), inclusive: op === '>=' }, undefined);
        return this.completeRange(next, operand, op === '>=');
      }
      case '<':
      case '<=': {
        if (!isNumber) r.fail(`Value of ${op} must be numeric`);
        if (r.next() !== 'END_ARRAY') this.tooManyElements();
        return numericTest(undefined, { value: this.number(operand), inclusive: op === '<=' });
      }
      default:
        return r.fail(`Unrecognized numeric range operator: ${op}`);
    }
  }

  private completeRange(token: TokenKind, bottomText: string, bottomInclusive: boolean): LeafTest {
    const r = this.r;
    if (token !== 'VALUE_STRING') r.fail(`Bad value in numeric range: ${r.displayText()}`);
    const op = r.text();
    if (op !== '<' && op !== '<=') r.fail(`Bad numeric range operator: ${op}`);
    if (r.next() !== 'VALUE_NUMBER') r.fail(`Value of ${op} must be numeric`);
    const topText = r.text();
    if (r.next() !== 'END_ARRAY') r.fail('Too many terms in numeric range expression');
    const lower: Bound = { value: this.number(bottomText), inclusive: bottomInclusive };
    const upper: Bound = { value: this.number(topText), inclusive: op === '<=' };
    if (lower.value >= upper.value) r.fail('Bottom must be less than top');
    return numericTest(lower, upper);
  }

  private parseAnythingBut(m: FieldMatcher): void {
    const r = this.r;
    let kind = 'anything-but';
    let token = r.next();
    if (token === 'START_OBJECT') {
      if (r.next() !== 'FIELD_NAME') r.fail('Anything-But expression name not found');
      kind = r.text();
      if (kind !== 'equals-ignore-case' && kind !== 'prefix' && kind !== 'suffix' && kind !== 'wildcard') {
        r.fail(`Unsupported anything-but pattern: ${kind}`);
      }
      token = r.next();
    }
    if (token !== 'START_ARRAY' && token !== 'VALUE_STRING' && token !== 'VALUE_NUMBER') {
      r.fail('Value of anything-but must be an array or single string/number value.');
    }
    if (kind === 'anything-but') {
      m.tests.push(token === 'START_ARRAY' ? this.anythingButList() : this.anythingButSingle(token));
    } else {
      const values =
        token === 'START_ARRAY' ? this.anythingButSetList(kind) : [this.anythingButSetSingle(kind, token)];
      m.tests.push(anythingButTest(this.excludedStrings(kind, values)));
    }
    if (r.next() !== 'END_OBJECT') this.tooManyElements();
    if (kind !== 'anything-but' && r.next() !== 'END_OBJECT') this.tooManyElements();
  }

  /** AWS reports errors raised inside its anything-but list loop with the location given twice. */
  private failInList(reason: string): never {
    const location = this.r.location();
    throw new InvalidEventPatternError(reason, `${location}${location}`);
  }

  private anythingButList() {
    const r = this.r;
    const strings = new Set<string>();
    const numbers = new Set<number>();
    for (let token = r.next(); token !== 'END_ARRAY'; token = r.next()) {
      if (token === 'VALUE_STRING') strings.add(r.text());
      else if (token === 'VALUE_NUMBER') {
        const value = Number(r.text());
        if (value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) r.fail(RANGE_MESSAGE);
        numbers.add(value);
      } else this.failInList('Inside anything but list, start|null|boolean is not supported.');
    }
    if (strings.size > 0 === numbers.size > 0) {
      r.fail('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    return anythingButTest((s) => strings.has(s), numbers);
  }

  private anythingButSingle(token: TokenKind) {
    const text = this.r.text();
    if (token === 'VALUE_STRING') return anythingButTest((s) => s === text);
    const value = Number(text);
    // Raised outside the parser in AWS, so without a location.
    if (value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) throw new InvalidEventPatternError(RANGE_MESSAGE);
    return anythingButTest(undefined, new Set([value]));
  }

  private setTypeMessage(kind: string): string {
    if (kind === 'equals-ignore-case') {
      return 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.';
    }
    if (kind === 'wildcard') return 'wildcard match pattern must be a string';
    return 'prefix/suffix match pattern must be a string';
  }

  private anythingButSetList(kind: string): string[] {
    const r = this.r;
    const values: string[] = [];
    for (let token = r.next(); token !== 'END_ARRAY'; token = r.next()) {
      if (token !== 'VALUE_STRING') this.failInList(this.setTypeMessage(kind));
      const text = r.text();
      if ((kind === 'prefix' || kind === 'suffix') && text === '')
        this.failInList('Null prefix/suffix not allowed');
      values.push(text);
    }
    if (kind === 'wildcard') for (const value of values) this.wildcardParts(value);
    return values;
  }

  private anythingButSetSingle(kind: string, token: TokenKind): string {
    const r = this.r;
    if (token !== 'VALUE_STRING') r.fail(this.setTypeMessage(kind));
    const text = r.text();
    if ((kind === 'prefix' || kind === 'suffix') && text === '') r.fail('Null prefix/suffix not allowed');
    if (kind === 'wildcard') this.wildcardParts(text);
    return text;
  }

  private excludedStrings(kind: string, values: string[]): StringTest {
    switch (kind) {
      case 'prefix':
        return (s) => values.some((p) => s.startsWith(p));
      case 'suffix':
        return (s) => values.some((p) => s.endsWith(p));
      case 'equals-ignore-case': {
        const expression = new RegExp(`^(?:${values.map(ignoreCaseSource).join('|')})$`);
        return (s) => expression.test(s);
      }
      default: {
        const matchers = values.map((v) => wildcardMatcher(parseWildcard(v)));
        return (s) => matchers.some((match) => match(s));
      }
    }
  }
}
