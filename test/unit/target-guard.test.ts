import { describe, expect, it } from 'vitest';
import { isAllowedAddress, targetUrlProblem } from '#core/delivery/target-guard.ts';

describe('target guard', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '2002:7f00:1::',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '64:ff9b:1::a9fe:a9fe',
    '::ffff:0:a9fe:a9fe',
    'fec0::1',
    '::ffff:7f00:1',
  ])('blocks %s for public-only targets', (address) => {
    expect(isAllowedAddress(address, 'public-only')).toBe(false);
  });

  it.each(['93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows public %s', (address) => {
    expect(isAllowedAddress(address, 'public-only')).toBe(true);
  });

  it('allows loopback when private targets are allowed (the sandbox)', () => {
    expect(isAllowedAddress('127.0.0.1', 'allow-private')).toBe(true);
    expect(targetUrlProblem('http://127.0.0.1:3000/hook', 'allow-private')).toBeUndefined();
  });

  it.each([
    ['not a url', 'must be an absolute URL'],
    ['ftp://example.com/x', 'must use https or http'],
    ['https://user:pw@example.com/x', 'must not contain credentials'],
    ['http://127.0.0.1:3000/hook', 'must not point at a private or reserved address'],
    ['http://[::1]/hook', 'must not point at a private or reserved address'],
    ['http://169.254.169.254/latest/meta-data', 'must not point at a private or reserved address'],
    ['http://localhost:3000/hook', 'must name a public host'],
    ['http://intranet/hook', 'must name a public host'],
  ])('refuses %s', (url, problem) => {
    expect(targetUrlProblem(url, 'public-only')).toBe(problem);
  });

  it('accepts a public https URL', () => {
    expect(targetUrlProblem('https://hooks.example.com/orders', 'public-only')).toBeUndefined();
  });
});
