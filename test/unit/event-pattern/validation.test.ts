import { describe, expect, it } from 'vitest';
import {
  assertRulePatternSize,
  compileEventPattern,
  InvalidEventPatternError,
  RULE_PATTERN_MAX_LENGTH,
} from '#core/event-pattern/index.ts';

// The expected messages are the ones AWS returned for these patterns through TestEventPattern (recorded in
// LocalStack's AWS-validated snapshots), including the parser location AWS appends.

function errorOf(pattern: string | Record<string, unknown>): InvalidEventPatternError {
  try {
    compileEventPattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`pattern was accepted: ${JSON.stringify(pattern)}`);
}

function at(source: string, column: number): string {
  return `\n at [Source: (String)"${source}"; line: 1, column: ${column}]`;
}

const PREFIX = 'Event pattern is not valid. Reason: ';

describe('InvalidEventPatternError', () => {
  it('is a named Error with AWS message and the bare reason', () => {
    const error = errorOf('{"int": 42}');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidEventPatternError');
    expect(error.reason).toBe('"int" must be an object or an array');
    expect(error.message).toBe(`${PREFIX}"int" must be an object or an array${at('{"int": 42}', 11)}`);
  });
});

describe('User guide: Event patterns > structure (values must be arrays, patterns objects)', () => {
  const cases: Array<[string, string, number]> = [
    ['{"int": 42}', '"int" must be an object or an array', 11],
    ['{"string": "my-value"}', '"string" must be an object or an array', 13],
    ['{"resources": []}', 'Empty arrays are not allowed', 17],
    ['["not", "a", "dict", "but valid json"]', 'Filter is not an object', 2],
    ['{"source": ["aws.health"], "detail": {}}', 'Empty objects are not allowed', 40],
  ];
  it.each(cases)('%s', (pattern, reason, column) => {
    expect(errorOf(pattern).message).toBe(`${PREFIX}${reason}${at(pattern, column)}`);
  });

  it('refuses an empty pattern and nested arrays', () => {
    expect(errorOf('{}').reason).toBe('Empty objects are not allowed');
    expect(errorOf({ a: [['x']] }).reason).toBe('Match value must be String, number, true, false, or null');
    expect(errorOf({ a: [{}] }).reason).toBe('Match expression name not found');
  });
});

describe('Invalid JSON (TestEventPattern API reference: InvalidEventPatternException)', () => {
  const cases: Array<[string, string, number]> = [
    [
      'this is valid json but not a dict',
      "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
      5,
    ],
    [
      "{'bad': 'quotation'}",
      "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
      2,
    ],
    [
      '{"not": closed mark"',
      "Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
      15,
    ],
  ];
  it.each(cases)('%s', (pattern, reason, column) => {
    expect(errorOf(pattern).message).toBe(`${PREFIX}${reason}${at(pattern, column)}`);
  });

  it('reports an unterminated object', () => {
    expect(errorOf('{"a": ["b"]').reason).toMatch(
      /^Unexpected end-of-input: expected close marker for Object/,
    );
  });
});

describe('User guide: Comparison operators > match types', () => {
  const cases: Array<[string, string, number]> = [
    ['{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}', 'Unrecognized match type NUMERIC', 36],
    ['{"my_key": [{"EXISTS": true}]}', 'Unrecognized match type EXISTS', 28],
    ['{"time": [{"prefix": 123}]}', 'prefix match pattern must be a string', 25],
    ['{"time": [{"prefix": ["2022-07-13"]}]}', 'prefix match pattern must be a string', 23],
    ['{"FileName": [{"suffix": 123}]}', 'suffix match pattern must be a string', 29],
    ['{"FileName": [{"suffix": [".png"]}]}', 'suffix match pattern must be a string', 27],
    [
      '{"detail-type": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]}',
      'equals-ignore-case match pattern must be a string',
      42,
    ],
    [
      '{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}',
      'equals-ignore-case match pattern must be a string',
      42,
    ],
    ['{"EventBusArn": [{"wildcard": 123}]}', 'wildcard match pattern must be a string', 34],
    ['{"EventBusArn": [{"wildcard": ["arn:*"]}]}', 'wildcard match pattern must be a string', 32],
    [
      '{"detail": {"sourceIPAddress": [{"cidr": ["bad-type"]}]}}',
      'prefix match pattern must be a string',
      43,
    ],
  ];
  it.each(cases)('%s', (pattern, reason, column) => {
    expect(errorOf(pattern).message).toBe(`${PREFIX}${reason}${at(pattern, column)}`);
  });

  it('allows one key per match expression', () => {
    expect(errorOf({ a: [{ prefix: 'a', suffix: 'b' }] }).reason).toBe(
      'Only one key allowed in match expression',
    );
    expect(errorOf({ a: [{ exists: 'yes' }] }).reason).toBe(
      'exists match pattern must be either true or false.',
    );
  });

  it('prefix/suffix objects only take equals-ignore-case', () => {
    expect(errorOf({ a: [{ prefix: { wildcard: 'x' } }] }).reason).toBe(
      'Unsupported prefix pattern: wildcard',
    );
    expect(errorOf({ a: [{ suffix: { 'equals-ignore-case': 1 } }] }).reason).toBe(
      'equals-ignore-case match pattern must be a string',
    );
  });
});

describe('User guide: Comparison operators > Numeric matching (validation)', () => {
  const cases: Array<[string, string, number]> = [
    ['{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}', 'Bad numeric range operator: >', 49],
    ['{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}', 'Value of < must be numeric', 50],
  ];
  it.each(cases)('%s', (pattern, reason, column) => {
    expect(errorOf(pattern).message).toBe(`${PREFIX}${reason}${at(pattern, column)}`);
  });

  it('names each malformed part', () => {
    expect(errorOf({ n: [{ numeric: 5 }] }).reason).toBe('Value of numeric must be an array.');
    expect(errorOf({ n: [{ numeric: [] }] }).reason).toBe('Invalid member in numeric match: ]');
    expect(errorOf({ n: [{ numeric: ['!', 1] }] }).reason).toBe('Unrecognized numeric range operator: !');
    expect(errorOf({ n: [{ numeric: ['=', '1'] }] }).reason).toBe('Value of equals must be numeric');
    expect(errorOf({ n: [{ numeric: ['<', 1, '>', 0] }] }).reason).toBe(
      'Too many elements in numeric expression',
    );
    expect(errorOf({ n: [{ numeric: ['>', 5, '<', 1] }] }).reason).toBe('Bottom must be less than top');
    expect(errorOf({ n: [{ numeric: ['>', 0, '<', 5, 6] }] }).reason).toBe(
      'Too many terms in numeric range expression',
    );
  });

  it('refuses numbers outside -5.0e9..5.0e9', () => {
    expect(errorOf({ n: [{ numeric: ['>', 5e9 + 1] }] }).reason).toBe(
      'Value must be between -5.0E9 and 5.0E9, inclusive',
    );
    expect(() => compileEventPattern({ n: [{ numeric: ['>=', -5e9, '<=', 5e9] }] })).not.toThrow();
  });
});

describe('User guide: Comparison operators > Anything-but matching (validation)', () => {
  const repeated = (source: string, column: number) => `${at(source, column)}${at(source, column)}`;

  it('AWS gives the location twice for errors inside an anything-but list', () => {
    const pattern = '{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}';
    expect(errorOf(pattern).message).toBe(
      `${PREFIX}Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.${repeated(pattern, 67)}`,
    );
    const prefixList = '{"detail": {"state": [{"anything-but": {"prefix": [123, "test"]}}]}}';
    expect(errorOf(prefixList).message).toBe(
      `${PREFIX}prefix/suffix match pattern must be a string${repeated(prefixList, 55)}`,
    );
  });

  const cases: Array<[string, string, number]> = [
    [
      '{"detail": {"state": [{"anything-but": {"equals-ignore-case": 123}}]}}',
      'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
      66,
    ],
    [
      '{"detail": {"state": [{"anything-but": {"prefix": 123}}]}}',
      'prefix/suffix match pattern must be a string',
      54,
    ],
    [
      '{"detail": {"FileName": [{"anything-but": {"suffix": 123}}]}}',
      'prefix/suffix match pattern must be a string',
      57,
    ],
    [
      '{"detail": {"FileName": [{"anything-but": {"suffix": {"equals-ignore-case": ".png"}}}]}}',
      'Value of anything-but must be an array or single string/number value.',
      55,
    ],
    [
      '{"detail": {"FilePath": [{"anything-but": {"wildcard": 123}}]}}',
      'wildcard match pattern must be a string',
      59,
    ],
  ];
  it.each(cases)('%s', (pattern, reason, column) => {
    expect(errorOf(pattern).message).toBe(`${PREFIX}${reason}${at(pattern, column)}`);
  });

  it('refuses mixed, empty and non-scalar lists, and unknown forms', () => {
    expect(errorOf({ a: [{ 'anything-but': ['a', 1] }] }).reason).toBe(
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    );
    expect(errorOf({ a: [{ 'anything-but': [] }] }).reason).toBe(
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    );
    expect(errorOf({ a: [{ 'anything-but': [null] }] }).reason).toBe(
      'Inside anything but list, start|null|boolean is not supported.',
    );
    expect(errorOf({ a: [{ 'anything-but': null }] }).reason).toBe(
      'Value of anything-but must be an array or single string/number value.',
    );
    expect(errorOf({ a: [{ 'anything-but': { numeric: ['>', 1] } }] }).reason).toBe(
      'Unsupported anything-but pattern: numeric',
    );
    expect(errorOf({ a: [{ 'anything-but': { prefix: '' } }] }).reason).toBe(
      'Null prefix/suffix not allowed',
    );
  });
});

describe('User guide: Comparison operators > Wildcard matching (validation)', () => {
  it('refuses consecutive wildcards, naming the position as AWS does', () => {
    const pattern = '{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}';
    expect(errorOf(pattern).message).toBe(
      `${PREFIX}Consecutive wildcard characters at pos 26${at(pattern, 72)}`,
    );
  });

  it('refuses a backslash that escapes anything but * or \\', () => {
    expect(errorOf('{"a":[{"wildcard":"a\\\\b"}]}').reason).toBe('Invalid escape character at pos 2');
  });

  it('refuses rules that are too complex', () => {
    expect(errorOf({ EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] }).message).toBe(
      `${PREFIX}Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character`,
    );
  });
});

describe('User guide: Comparison operators > IP address matching (validation)', () => {
  it.each([
    ['bad-type', "Malformed CIDR, one '/' required"],
    ['10.0.0.0/xx', 'Malformed CIDR, mask bits must be an integer'],
    ['xx.11.xx/24', 'Nonstandard IP address: xx.11.xx'],
    ['xxxx:db8:1234:1a00::/64', 'Nonstandard IP address: xxxx:db8:1234:1a00::'],
    ['10.0.0.0/32', 'IPv4 mask bits must be < 32'],
    ['::/128', 'IPv6 mask bits must be < 128'],
  ])('%s', (cidr, reason) => {
    // AWS raises CIDR errors outside its JSON parser, so they carry no location.
    expect(errorOf({ ip: [{ cidr }] }).message).toBe(`${PREFIX}${reason}`);
  });
});

describe('User guide: Comparison operators > Or matching (validation)', () => {
  it('needs an array of at least two objects, without match types as field names', () => {
    expect(errorOf({ $or: { a: ['x'] } }).reason).toBe('It must be an Array followed with $or.');
    expect(errorOf({ $or: [{ a: ['x'] }] }).reason).toBe(
      'There must have at least 2 Objects in $or relationship.',
    );
    expect(errorOf({ $or: [{ a: ['x'] }, 'b'] }).reason).toBe(
      'Only JSON object is allowed in array of $or relationship.',
    );
    expect(errorOf({ $or: [{ numeric: [123] }, { prefix: ['abc'] }] }).reason).toBe(
      'numeric is Ruler reserved fieldName which cannot be used inside $or.',
    );
  });
});

describe('User guide: Amazon EventBridge quotas > Event pattern size', () => {
  it(`accepts ${RULE_PATTERN_MAX_LENGTH} characters and refuses more`, () => {
    const fits = `{"source":["${'a'.repeat(RULE_PATTERN_MAX_LENGTH - 15)}"]}`;
    expect(fits).toHaveLength(RULE_PATTERN_MAX_LENGTH);
    expect(() => assertRulePatternSize(fits)).not.toThrow();
    const tooLong = `{"source":["${'a'.repeat(RULE_PATTERN_MAX_LENGTH - 14)}"]}`;
    expect(() => assertRulePatternSize(tooLong)).toThrow(InvalidEventPatternError);
  });
});
