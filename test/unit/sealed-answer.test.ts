import { describe, expect, it } from 'vitest';
import { openAnswerBody, sealAnswerBody } from '#core/http/sealed-answer.ts';

const body = JSON.stringify({ id: 'sub_1', secret: 'whsec_P3VpadQytEyCnkC+gvyiA2RPUQz0d1VylXvYb7Evxw8=' });

describe('sealed idempotent answers', () => {
  it('opens with the Idempotency-Key and account it was sealed under, and shows nothing of the body sealed', () => {
    const sealed = sealAnswerBody(body, 'key-1', 'acct_1');
    expect(sealed).toMatch(/^sealed:v1:/);
    expect(sealed).not.toContain('whsec_');
    expect(openAnswerBody(sealed, 'key-1', 'acct_1')).toBe(body);
  });

  it('does not open under another key or account, or once changed', () => {
    const sealed = sealAnswerBody(body, 'key-1', 'acct_1');
    expect(() => openAnswerBody(sealed, 'key-2', 'acct_1')).toThrow();
    expect(() => openAnswerBody(sealed, 'key-1', 'acct_2')).toThrow();
    const changed = `${sealed.slice(0, -4)}AAAA`;
    expect(() => openAnswerBody(changed, 'key-1', 'acct_1')).toThrow();
  });

  it('gives a body stored before answers were sealed as it is', () => {
    expect(openAnswerBody(body, 'key-1', 'acct_1')).toBe(body);
  });
});
