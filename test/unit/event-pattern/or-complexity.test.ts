import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileEventPattern,
  InvalidEventPatternError,
  MAX_COMBINED_CONDITIONS,
  MAX_OR_COMBINATIONS,
} from '#core/event-pattern/index.ts';
import { TOO_MANY_COMBINATIONS, TOO_MANY_COMBINED_CONDITIONS } from '#core/event-pattern/limits.ts';
import { buildTree, matchesTree } from '#core/event-pattern/match.ts';
import { type FieldCondition, parsePattern, type Term } from '#core/event-pattern/parse.ts';

// Issue 13: sibling `$or` objects used to be multiplied out into 2^n rules while compiling (a 603-character
// filter took 7.7 s and 1.4 GB; a 639-character one overflowed the stack). Now each `$or` is tried where it
// stands, and a pattern whose `$or`s combine in more than MAX_OR_COMBINATIONS ways is refused.

/**
 * AWS's own reading of a pattern (aws/event-ruler's JsonRuleCompiler): one rule per pick of an alternative
 * from every `$or`, a field given twice keeping its later condition; the pattern matches when one rule does.
 */
function awsExpansion(text: string): (event: unknown) => boolean {
  const expand = (rules: Map<string, FieldCondition>[], terms: readonly Term[]) => {
    let current = rules;
    for (const term of terms) {
      if (term.kind === 'field') {
        if (current.length === 0) current.push(new Map());
        for (const rule of current) rule.set(term.path, term);
        continue;
      }
      const before = current;
      current = [];
      for (const alternative of term.alternatives) {
        const branch = before.length === 0 ? [new Map()] : before.map((rule) => new Map(rule));
        for (const rule of expand(branch, alternative)) current.push(rule);
      }
    }
    return current;
  };
  const rules = expand([], parsePattern(text)).map((rule) =>
    buildTree({ fields: [...rule.values()], groups: [] }),
  );
  return (event) => rules.some((rule) => matchesTree(rule, event));
}

function refusal(pattern: string | Record<string, unknown>): string | undefined {
  try {
    compileEventPattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error.reason;
    throw error;
  }
}

/** `n` sibling objects, each holding an `$or` of two alternatives: 2^n combinations. */
function siblingOrs(n: number): Record<string, unknown> {
  return Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`f${i}`, { $or: [{ a: ['1'] }, { b: ['2'] }] }]),
  );
}

/** `n` `$or`s at one level whose alternatives reach into the same nested objects, so they must be combined. */
function coupledOrs(n: number): string {
  const ors = Array.from({ length: n }, (_, i) => `"$or":[{"a":{"x${i}":[${i}]}},{"b":{"y${i}":[${i}]}}]`);
  return `{${ors.join(',')}}`;
}

// Patterns and events over a few names, so that fields repeat, alternatives reach into the same objects as
// conditions outside them, and events hold arrays of objects (whose elements must satisfy fields together).
const names = ['a', 'b', 'a.b'];
const leafValue = fc.oneof(
  fc.constantFrom('1', '1', '1', '2', '{"exists":false}'),
  fc.constantFrom('"x"', '{"exists":true}', '{"anything-but":1}', '{"prefix":"x"}', '{"numeric":[">",1]}'),
);
const leafArray = fc.uniqueArray(leafValue, { minLength: 1, maxLength: 2 }).map((v) => `[${v.join(',')}]`);
const { pattern: patternText } = fc.letrec<{ pattern: string; entry: string }>((tie) => ({
  pattern: fc.array(tie('entry'), { minLength: 1, maxLength: 2 }).map((entries) => `{${entries.join(',')}}`),
  entry: fc.oneof(
    { maxDepth: 3, withCrossShrink: true },
    fc.tuple(fc.constantFrom(...names), leafArray).map(([name, values]) => `"${name}":${values}`),
    fc.tuple(fc.constantFrom(...names), tie('pattern')).map(([name, inner]) => `"${name}":${inner}`),
    fc.array(tie('pattern'), { minLength: 2, maxLength: 2 }).map((alts) => `"$or":[${alts.join(',')}]`),
  ),
}));
const { value: eventValue } = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, withCrossShrink: true },
    fc.constantFrom(1, 1, 1, 2, 'x', null),
    tie('object'),
    fc.array(tie('object'), { minLength: 2, maxLength: 3 }),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
  object: fc.dictionary(fc.constantFrom(...names), tie('value'), { maxKeys: 3 }),
}));
const events = fc.array(fc.dictionary(fc.constantFrom(...names), eventValue, { maxKeys: 4 }), {
  minLength: 1,
  maxLength: 10,
});

describe('$or alternatives are tried where they stand, never multiplied out', () => {
  it('matches every pattern as AWS’s one rule per combination does, arrays of objects and repeated fields included', () => {
    fc.assert(
      fc.property(patternText, events, (text, samples) => {
        const refused = refusal(text);
        fc.pre(refused !== TOO_MANY_COMBINATIONS && refused !== TOO_MANY_COMBINED_CONDITIONS);
        const compiled = compileEventPattern(text);
        const expected = awsExpansion(text);
        for (const event of samples)
          expect(compiled.matches(event), JSON.stringify(event)).toBe(expected(event));
      }),
      { numRuns: 3000 },
    );
  });

  it('compiles nine sibling $or objects (512 combinations) into nodes that grow linearly with their number', () => {
    const nodes = (n: number) => compileEventPattern(siblingOrs(n)).nodes;
    const [three, six, nine] = [nodes(3), nodes(6), nodes(9)];

    // Each sibling adds the same nodes (its object, two alternatives, a field in each); 2^n would not.
    expect(nine - six).toBe(six - three);
    expect(nine).toBeLessThan(9 * 6);
  });

  it('matches nine sibling $or objects by trying each one’s alternatives on its own object', () => {
    const compiled = compileEventPattern(siblingOrs(9));
    const event = Object.fromEntries(
      Array.from({ length: 9 }, (_, i) => [`f${i}`, i % 2 ? { a: '1' } : { b: '2' }]),
    );

    expect(compiled.matches(event)).toBe(true);
    expect(compiled.matches({ ...event, f4: { a: '2', b: '1' } })).toBe(false);
  });

  it('compiles $or nested in $or, 300 deep, into nodes linear in the depth (they add, not multiply)', () => {
    let pattern: Record<string, unknown> = { leaf: ['x'] };
    for (let i = 0; i < 300; i++) pattern = { $or: [{ [`k${i}`]: ['y'] }, pattern] };
    const compiled = compileEventPattern(pattern);

    expect(compiled.nodes).toBeLessThan(4 * 300);
    expect(compiled.matches({ leaf: 'x' })).toBe(true);
    expect(compiled.matches({ k150: 'y' })).toBe(true);
    expect(compiled.matches({ leaf: 'y', k150: 'x' })).toBe(false);
  });

  it('has one array element satisfy a condition outside an $or and the alternative inside it together', () => {
    const pattern = { a: { x: ['1'] }, $or: [{ a: { y: ['1'] } }, { b: ['1'] }] };
    const compiled = compileEventPattern(pattern);

    expect(compiled.matches({ a: [{ x: '1' }, { y: '1' }] })).toBe(false);
    expect(compiled.matches({ a: [{ x: '1', y: '1' }] })).toBe(true);
    expect(compiled.matches({ a: [{ x: '1' }, { y: '1' }], b: '1' })).toBe(true);
  });

  it('lets a later condition on a field replace the condition an $or alternative puts on it, as AWS does', () => {
    // AWS's rules: {a: 2} (the first alternative's a replaced) and {b: 1, a: 2}.
    const compiled = compileEventPattern('{"$or": [{"a": ["1"]}, {"b": ["1"]}], "a": ["2"]}');

    expect(compiled.matches({ a: '2' })).toBe(true);
    expect(compiled.matches({ a: '1' })).toBe(false);
    expect(compiled.matches({ a: '1', b: '1' })).toBe(false);
  });

  it('lets an $or alternative’s condition replace an earlier one on the same field in that alternative only', () => {
    // AWS's rules: {a: 1} and {a: 2, b: 1}.
    const compiled = compileEventPattern('{"a": ["2"], "$or": [{"a": ["1"]}, {"b": ["1"]}]}');

    expect(compiled.matches({ a: '1' })).toBe(true);
    expect(compiled.matches({ a: '2', b: '1' })).toBe(true);
    expect(compiled.matches({ a: '2' })).toBe(false);
    expect(compiled.matches({ a: '1', b: '2' })).toBe(true);
  });
});

describe(`Complexity limit: at most ${MAX_OR_COMBINATIONS} $or combinations`, () => {
  it.each([
    ['ten sibling objects with an $or of two each (1,024)', siblingOrs(10)],
    [
      'twenty sibling objects with an $or of two each (the issue’s bombs, about 600 characters)',
      siblingOrs(20),
    ],
    ['sixty sibling objects with an $or of two each (2^60, past any exact count)', siblingOrs(60)],
    [
      'ten $or keys repeated in one object',
      `{${Array.from({ length: 10 }, () => '"$or":[{"a":[1]},{"b":[1]}]').join(',')}}`,
    ],
    ['sibling $ors inside each alternative of an $or', { $or: [siblingOrs(9), siblingOrs(9), { c: ['1'] }] }],
    [
      'an $or of five alternatives in each of five sibling objects (3,125)',
      Object.fromEntries(
        Array.from({ length: 5 }, (_, i) => [
          `f${i}`,
          { $or: Array.from({ length: 5 }, (_, j) => ({ [`v${j}`]: [j] })) },
        ]),
      ),
    ],
  ])('refuses %s', (_name, pattern) => {
    expect(refusal(pattern)).toBe(TOO_MANY_COMBINATIONS);
  });

  it('accepts exactly the limit: 1,000 combinations of an $or of ten alternatives in three sibling objects', () => {
    const tens = (key: string) => ({ [key]: { $or: Array.from({ length: 10 }, (_, j) => ({ v: [j] })) } });
    const pattern = { ...tens('a'), ...tens('b'), ...tens('c') };

    expect(refusal(pattern)).toBeUndefined();
    expect(refusal({ ...pattern, d: { $or: [{ v: [1] }, { w: [1] }] } })).toBe(TOO_MANY_COMBINATIONS);
    expect(compileEventPattern(pattern).matches({ a: { v: 1 }, b: { v: 9 }, c: { v: 0 } })).toBe(true);
  });

  it('refuses before anything is built: the reason is the limit, not the size of a multiplied-out rule set', () => {
    // 2^200 combinations in a pattern of about 7,000 characters.
    expect(refusal(siblingOrs(200))).toBe(TOO_MANY_COMBINATIONS);
  });

  it(`refuses $ors that must be combined past ${MAX_COMBINED_CONDITIONS} conditions, and matches those below as AWS does`, () => {
    // Nine coupled $ors make 512 rules of nine conditions (4,608); eight make 256 of eight (2,048).
    expect(refusal(coupledOrs(9))).toBe(TOO_MANY_COMBINED_CONDITIONS);
    expect(refusal(coupledOrs(8))).toBeUndefined();
    const compiled = compileEventPattern(coupledOrs(8));
    const expected = awsExpansion(coupledOrs(8));
    const event = {
      a: [
        { x0: 0, x1: 1, x2: 2, x3: 3 },
        { x4: 4, x5: 5, x6: 6, x7: 7 },
      ],
      b: { y4: 4, y5: 5, y6: 6, y7: 7 },
    };

    expect(compiled.matches(event)).toBe(true);
    expect(expected(event)).toBe(true);
    const split = {
      ...event,
      a: [
        { x0: 0, x1: 1 },
        { x2: 2, x3: 3 },
      ],
    };
    expect(compiled.matches(split)).toBe(false);
    expect(expected(split)).toBe(false);
  });
});

describe('Matching a long event value takes time linear in it', () => {
  // Each of these took seconds to minutes before (a backtracking regular expression); the assertions are on
  // the results, and a regression shows as a test that does not finish.
  it('reads a long run of colons as text, not as an IPv6 address, for cidr and exact IP values', () => {
    const colons = `${':'.repeat(200_000)}g`;

    expect(compileEventPattern({ ip: [{ cidr: '10.0.0.0/8' }] }).matches({ ip: colons })).toBe(false);
    expect(compileEventPattern({ ip: ['2001:db8::1'] }).matches({ ip: colons })).toBe(false);
    expect(compileEventPattern({ ip: ['2001:db8::1'] }).matches({ ip: '2001:0db8:0:0:0:0:0:1' })).toBe(true);
  });

  it('matches a long suffix ignoring case only at the end of a long value', () => {
    const compiled = compileEventPattern({
      name: [{ suffix: { 'equals-ignore-case': `${'a'.repeat(2000)}b` } }],
    });

    expect(compiled.matches({ name: 'a'.repeat(250_000) })).toBe(false);
    expect(compiled.matches({ name: `${'A'.repeat(250_000)}B` })).toBe(true);
    expect(
      compileEventPattern({ f: [{ suffix: { 'equals-ignore-case': 'straße' } }] }).matches({ f: 'xSTRASSE' }),
    ).toBe(true);
  });

  it('matches a wildcard of five stars against a long value without backtracking', () => {
    const compiled = compileEventPattern({ name: [{ wildcard: 'a*a*a*a*a*b' }] });

    expect(compiled.matches({ name: 'a'.repeat(250_000) })).toBe(false);
    expect(compiled.matches({ name: `${'a'.repeat(250_000)}b` })).toBe(true);
  });
});
