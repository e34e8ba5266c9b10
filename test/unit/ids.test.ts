import { describe, expect, it } from 'vitest';
import { derivedId, newId } from '#core/ids.ts';

describe('ids', () => {
  it('writes a prefix and 26 characters of one lower-case Crockford base32 alphabet', () => {
    expect(newId('sub')).toMatch(/^sub_[0-9a-hjkmnp-tv-z]{26}$/);
  });

  it('sorts by creation time', () => {
    const times = [
      1,
      31,
      32,
      1_000_000,
      Date.parse('2026-11-27T00:00:00Z'),
      Date.parse('2030-01-01T00:00:00Z'),
    ];

    const ids = times.map((time) => newId('sub', time));

    expect([...ids].sort()).toEqual(ids);
  });

  it('derives the same id from the same parts, and another from other parts', () => {
    expect(derivedId('msg', 'evt_1', 'sub_1')).toBe(derivedId('msg', 'evt_1', 'sub_1'));
    expect(derivedId('msg', 'evt_1', 'sub_1')).not.toBe(derivedId('msg', 'evt_1', 'sub_2'));
    expect(derivedId('msg', 'evt_1', 'sub_1')).not.toBe(derivedId('msg', 'evt_1s', 'ub_1'));
  });
});
