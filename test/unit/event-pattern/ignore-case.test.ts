import { describe, expect, it } from 'vitest';
import { compileEventPattern } from '#core/event-pattern/index.ts';

const matches = (pattern: Record<string, unknown>, value: unknown) =>
  compileEventPattern(pattern).matches({ detail: { v: value } });
const field = (condition: object) => ({ detail: { v: [condition] } });

// aws/event-ruler, input/EqualsIgnoreCaseParser: each UTF-16 character of the pattern matches its lower-case or
// its upper-case form; the event's value is read as it is.
describe('equals-ignore-case, character by character as EventBridge’s matcher reads it', () => {
  it('matches ASCII in any case', () => {
    expect(matches(field({ 'equals-ignore-case': 'Shipped' }), 'sHIPPED')).toBe(true);
    expect(matches(field({ 'equals-ignore-case': 'Shipped' }), 'Shipped!')).toBe(false);
  });

  it('lets a pattern character match a longer upper-case form, but not the other way round', () => {
    expect(matches(field({ 'equals-ignore-case': 'straße' }), 'STRASSE')).toBe(true);
    expect(matches(field({ 'equals-ignore-case': 'STRASSE' }), 'straße')).toBe(false);
  });

  it('does not fold characters whose case forms are other characters (the Kelvin sign, dotless i)', () => {
    expect(matches(field({ 'equals-ignore-case': 'k' }), '\u212a')).toBe(false);
    expect(matches(field({ 'equals-ignore-case': 'I' }), 'ı')).toBe(false);
  });

  it('does not match a titlecase letter, which is neither its lower- nor its upper-case form', () => {
    expect(matches(field({ 'equals-ignore-case': 'ǅ' }), 'ǅ')).toBe(false);
    expect(matches(field({ 'equals-ignore-case': 'ǅ' }), 'Ǆ')).toBe(true);
  });

  it('reads regular-expression characters in the pattern literally', () => {
    expect(matches(field({ 'equals-ignore-case': 'a.b(c)*' }), 'A.B(C)*')).toBe(true);
    expect(matches(field({ 'equals-ignore-case': 'a.b(c)*' }), 'axbccc')).toBe(false);
  });

  it('applies the same reading to prefix, suffix and anything-but', () => {
    expect(matches(field({ prefix: { 'equals-ignore-case': 'ORD_' } }), 'ord_1042')).toBe(true);
    expect(matches(field({ suffix: { 'equals-ignore-case': '.JSON' } }), 'file.json')).toBe(true);
    expect(
      matches(field({ 'anything-but': { 'equals-ignore-case': ['shipped', 'Cancelled'] } }), 'SHIPPED'),
    ).toBe(false);
    expect(
      matches(field({ 'anything-but': { 'equals-ignore-case': ['shipped', 'Cancelled'] } }), 'Pending'),
    ).toBe(true);
  });
});
