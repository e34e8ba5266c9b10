import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AddressLookup } from '#core/egress/guarded-connector.ts';
import {
  addressProblem,
  type HostResolver,
  isAllowedAddress,
  normalizedTargetUrl,
  resolvedTargetProblem,
  resolveTimeoutMs,
  systemResolver,
  type TargetPolicy,
  targetUrlProblem,
} from '#core/egress/target-guard.ts';
import { WebhookSender } from '#core/egress/webhook-sender.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

const ok = undefined;
const absolute = 'must be an absolute URL';
const httpsOnly = 'must use https';
const httpOrHttps = 'must use https or http';
const credentials = 'must not contain credentials';
const publicHost = 'must name a public host';
const privateAddress = 'must not point at a private or reserved address';
const linkLocal = 'must not point at a link-local or metadata address';
const notUnicast = 'must not point at a multicast, broadcast or unspecified address';
const controls = 'must not contain spaces or control characters';
const backslash = 'must not contain backslashes';
const emptyLabel = 'must not have an empty label in its host name';
const hostCharacters = 'must have a host name of letters, digits, -, _ and . only';
const hyphen = 'must not have a host name label that starts or ends with -';

type Expected = readonly [url: string, publicOnly: string | undefined, allowPrivate: string | undefined];

describe('addressProblem: the addresses DNS may answer with', () => {
  it.each<Expected>([
    ['8.8.8.8', ok, ok],
    ['93.184.215.14', ok, ok],
    ['2606:4700:4700::1111', ok, ok],
    ['::ffff:8.8.8.8', ok, ok],
    // NAT64 of a public address: how an IPv6-only subnet with DNS64 reaches an IPv4-only receiver.
    ['64:ff9b::808:808', ok, ok],
    ['127.0.0.1', privateAddress, ok],
    ['127.255.255.254', privateAddress, ok],
    ['10.1.2.3', privateAddress, ok],
    ['172.16.0.1', privateAddress, ok],
    ['172.31.255.255', privateAddress, ok],
    ['192.168.1.1', privateAddress, ok],
    ['100.64.0.1', privateAddress, ok],
    ['198.18.0.1', privateAddress, ok],
    ['192.0.2.1', privateAddress, ok],
    ['240.0.0.1', privateAddress, ok],
    ['::1', privateAddress, ok],
    ['0:0:0:0:0:0:0:1', privateAddress, ok],
    ['fd00::1', privateAddress, ok],
    ['fec0::1', privateAddress, ok],
    ['::ffff:127.0.0.1', privateAddress, ok],
    ['::ffff:7f00:1', privateAddress, ok],
    ['::127.0.0.1', privateAddress, ok],
    ['::ffff:0:a00:1', privateAddress, ok],
    ['169.254.169.254', linkLocal, linkLocal],
    ['169.254.170.2', linkLocal, linkLocal],
    ['169.254.0.1', linkLocal, linkLocal],
    ['fe80::1', linkLocal, linkLocal],
    ['fe80::1%eth0', linkLocal, linkLocal],
    ['FE80::ABCD', linkLocal, linkLocal],
    ['fd00:ec2::254', linkLocal, linkLocal],
    ['fd00:ec2:0:0:0:0:0:23', linkLocal, linkLocal],
    ['::ffff:169.254.169.254', linkLocal, linkLocal],
    ['::ffff:a9fe:a9fe', linkLocal, linkLocal],
    ['::ffff:0:a9fe:a9fe', linkLocal, linkLocal],
    ['::a9fe:a9fe', linkLocal, linkLocal],
    ['64:ff9b::a9fe:a9fe', linkLocal, linkLocal],
    ['100.100.100.200', linkLocal, linkLocal],
    ['168.63.129.16', linkLocal, linkLocal],
    ['0.0.0.0', notUnicast, notUnicast],
    ['0.1.2.3', notUnicast, notUnicast],
    ['::', notUnicast, notUnicast],
    ['::ffff:0.0.0.0', notUnicast, notUnicast],
    ['224.0.0.1', notUnicast, notUnicast],
    ['239.255.255.250', notUnicast, notUnicast],
    ['255.255.255.255', notUnicast, notUnicast],
    ['ff02::1', notUnicast, notUnicast],
    ['::ffff:224.0.0.1', notUnicast, notUnicast],
    ['2002:7f00:1::', privateAddress, privateAddress],
    ['2002:a9fe:a9fe::', privateAddress, privateAddress],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', privateAddress, privateAddress],
    ['64:ff9b:1::a9fe:a9fe', privateAddress, privateAddress],
    ['127.1', privateAddress, privateAddress],
    ['not-an-address', privateAddress, privateAddress],
  ])('%s: public-only %s, allow-private %s', (address, publicOnly, allowPrivate) => {
    expect(addressProblem(address, 'public-only')).toBe(publicOnly);
    expect(addressProblem(address, 'allow-private')).toBe(allowPrivate);
    expect(isAllowedAddress(address, 'public-only')).toBe(publicOnly === undefined);
    expect(isAllowedAddress(address, 'allow-private')).toBe(allowPrivate === undefined);
  });
});

describe('targetUrlProblem: syntax, scheme and credentials', () => {
  const longest = `https://hooks.example.com/${'a'.repeat(2048 - 'https://hooks.example.com/'.length)}`;

  it.each<Expected>([
    ['not-a-url', absolute, absolute],
    ['not a url', controls, controls],
    ['/relative/path', absolute, absolute],
    ['', absolute, absolute],
    ['https://[fe80::1%25eth0]/', absolute, absolute],
    ['https://hooks.example.com/in', ok, ok],
    ['http://hooks.example.com/in', httpsOnly, ok],
    ['HTTP://hooks.example.com/in', httpsOnly, ok],
    ['http://127.0.0.1:3000/hook', httpsOnly, ok],
    ['ftp://example.com/x', httpsOnly, httpOrHttps],
    ['ws://example.com/x', httpsOnly, httpOrHttps],
    ['file:///etc/passwd', httpsOnly, httpOrHttps],
    ['javascript:alert(1)', httpsOnly, httpOrHttps],
    [longest, ok, ok],
    [`${longest}a`, 'must be at most 2048 characters', 'must be at most 2048 characters'],
    ['https://user:pw@example.com/x', credentials, credentials],
    ['https://user@example.com/x', credentials, credentials],
    ['https://:pw@example.com/x', credentials, credentials],
    ['https://@example.com/x', credentials, credentials],
    ['https://:@example.com/x', credentials, credentials],
    ['https://a@b@example.com/x', credentials, credentials],
    [
      'https:@example.com/x',
      'must start with https:// and the host',
      'must start with https:// and the host',
    ],
    ['https:\\\\@example.com/x', backslash, backslash],
    ['https://\t@example.com/x', controls, controls],
    [' https://@example.com/x', controls, controls],
    ['\u0001https://@example.com/x', controls, controls],
    ['http://user@127.0.0.1/x', httpsOnly, credentials],
    ['https://example.com/@me', ok, ok],
    ['https://example.com/in?email=a@b.example', ok, ok],
    ['https://example.com/in#@127.0.0.1', ok, ok],
    ['https://example.com\\@127.0.0.1/', backslash, backslash],
  ])('%j: public-only %s, allow-private %s', (url, publicOnly, allowPrivate) => {
    expect(targetUrlProblem(url, 'public-only')).toBe(publicOnly);
    expect(targetUrlProblem(url, 'allow-private')).toBe(allowPrivate);
  });
});

describe('targetUrlProblem: written as the URL parser reads it, nothing dropped or rewritten', () => {
  const scheme = 'must start with https:// and the host';
  const encodedLength = 'must be at most 2048 characters once percent-encoded';

  it.each<Expected>([
    ['https://hooks.example.com/in\t', controls, controls],
    ['https://hooks.example.com/i\nn', controls, controls],
    ['https://hooks.exa\r\nmple.com/in', controls, controls],
    ['https://hooks.example.com/in ', controls, controls],
    [' https://hooks.example.com/in', controls, controls],
    ['https://hooks.example.com/a b', controls, controls],
    ['https://hooks.example.com/\u0000', controls, controls],
    ['https://hooks.example.com/\u007f', controls, controls],
    ['\u001fhttps://hooks.example.com/', controls, controls],
    ['https://hooks.example.com\\in', backslash, backslash],
    ['https:\\\\hooks.example.com/in', backslash, backslash],
    ['https://evil.example\\@127.0.0.1/', backslash, backslash],
    ['https://hooks.example.com/?q=\\', backslash, backslash],
    ['https://hooks.example.com/\ud800', 'must be valid Unicode text', 'must be valid Unicode text'],
    ['https://hooks.example.com/\udc00x', 'must be valid Unicode text', 'must be valid Unicode text'],
    ['https://hooks.example.com/\ud83d\ude00', ok, ok],
    ['https:example.com', scheme, scheme],
    ['https:/example.com/in', scheme, scheme],
    ['https:///example.com/in', scheme, scheme],
    ['https:////example.com/in', scheme, scheme],
    ['http:example.com', httpsOnly, 'must start with http:// and the host'],
    ['HTTPS://HOOKS.EXAMPLE.COM/In', ok, ok],
    ['https://example..com/', emptyLabel, emptyLabel],
    ['https://.example.com/', emptyLabel, emptyLabel],
    ['https://hooks.example.com../', emptyLabel, emptyLabel],
    ['https://*.example.com/', hostCharacters, hostCharacters],
    ['https://hooks.exa*mple.com/', hostCharacters, hostCharacters],
    ['https://hooks!.example.com/', hostCharacters, hostCharacters],
    ['https://hooks{x}.example.com/', hostCharacters, hostCharacters],
    ['https://-hooks.example.com/', hyphen, hyphen],
    ['https://hooks-.example.com/', hyphen, hyphen],
    ['https://hooks.example-.com/', hyphen, hyphen],
    ['https://my-hooks.ex--ample.com/', ok, ok],
    ['https://my_hooks.example.com/', ok, ok],
    ['https://xn--bcher-kva.de/', ok, ok],
    [
      `https://${'a'.repeat(64)}.example.com/`,
      'must not have a host name label longer than 63 characters',
      'must not have a host name label longer than 63 characters',
    ],
    [
      `https://${`${'a'.repeat(63)}.`.repeat(4)}com/`,
      'must have a host name of at most 253 characters',
      'must have a host name of at most 253 characters',
    ],
    ['https://hooks.example.com:0/', 'must not use port 0', 'must not use port 0'],
    ['https://hooks.example.com:000/', 'must not use port 0', 'must not use port 0'],
    ['https://hooks.example.com:65535/', ok, ok],
    ['https://hooks.example.com:65536/', absolute, absolute],
    ['https://@hooks.example.com/', credentials, credentials],
    ['https://hooks.example.com@evil.example/', credentials, credentials],
    [`https://hooks.example.com/${'é'.repeat(2000)}`, encodedLength, encodedLength],
    [`https://hooks.example.com/${'é'.repeat(337)}`, ok, ok],
    [`https://hooks.example.com/${'é'.repeat(338)}`, encodedLength, encodedLength],
  ])('%j: public-only %s, allow-private %s', (url, publicOnly, allowPrivate) => {
    expect(targetUrlProblem(url, 'public-only')).toBe(publicOnly);
    expect(targetUrlProblem(url, 'allow-private')).toBe(allowPrivate);
  });

  it.each([
    ['https://hooks.example.com/in', 'https://hooks.example.com/in'],
    ['https://hooks.example.com', 'https://hooks.example.com/'],
    ['HTTPS://Hooks.Example.COM:443/In?A=1#F', 'https://hooks.example.com/In?A=1#F'],
    ['https://bücher.de/wébhooks', 'https://xn--bcher-kva.de/w%C3%A9bhooks'],
    ['https://hooks.example.com/a/../b/./c', 'https://hooks.example.com/b/c'],
    ['https://hooks.example.com/"<>`', 'https://hooks.example.com/%22%3C%3E%60'],
    ['https://%68ooks.example.com/', 'https://hooks.example.com/'],
    ['http://[0:0:0:0:0:0:0:1]:3000/', 'http://[::1]:3000/'],
  ])('stores %j as the parser writes it, %j, which passes the same rules', (url, normalized) => {
    expect(targetUrlProblem(url, 'allow-private')).toBeUndefined();

    expect(normalizedTargetUrl(url)).toBe(normalized);
    expect(targetUrlProblem(normalized, 'allow-private')).toBeUndefined();
    expect(normalizedTargetUrl(normalized)).toBe(normalized);
  });
});

describe('targetUrlProblem: literal addresses in every notation the URL parser accepts', () => {
  it.each<Expected>([
    ['https://93.184.215.14/in', ok, ok],
    ['https://[2606:4700:4700::1111]/in', ok, ok],
    ['https://[::ffff:8.8.8.8]/in', ok, ok],
    ['https://[64:ff9b::808:808]/in', ok, ok],
    ['https://127.0.0.1/', privateAddress, ok],
    ['https://127.0.0.1:3000/hook', privateAddress, ok],
    ['https://2130706433/', privateAddress, ok],
    ['https://0x7f000001/', privateAddress, ok],
    ['https://017700000001/', privateAddress, ok],
    ['https://0177.0.0.1/', privateAddress, ok],
    ['https://0x7f.1/', privateAddress, ok],
    ['https://0X7F.0.0.1/', privateAddress, ok],
    ['https://127.1/', privateAddress, ok],
    ['https://127.0.0.1./', privateAddress, ok],
    ['https://%31%32%37.0.0.1/', privateAddress, ok],
    ['https://１２７．０．０．１/', privateAddress, ok],
    ['https://127。0。0。1/', privateAddress, ok],
    ['https://[::1]/', privateAddress, ok],
    ['https://[0:0:0:0:0:0:0:1]/', privateAddress, ok],
    ['https://[::ffff:127.0.0.1]/', privateAddress, ok],
    ['https://[::ffff:7f00:1]/', privateAddress, ok],
    ['https://[0:0:0:0:0:ffff:7f00:1]/', privateAddress, ok],
    ['https://[::127.0.0.1]/', privateAddress, ok],
    ['https://[64:ff9b::127.0.0.1]/', privateAddress, ok],
    ['https://10.0.0.1/', privateAddress, ok],
    ['https://012.0.0.1/', privateAddress, ok],
    ['https://167772161/', privateAddress, ok],
    ['https://172.16.0.1/', privateAddress, ok],
    ['https://192.168.1.1/', privateAddress, ok],
    ['https://0xc0.0xa8.1.1/', privateAddress, ok],
    ['https://100.64.0.1/', privateAddress, ok],
    ['https://198.18.0.1/', privateAddress, ok],
    ['https://192.0.2.1/', privateAddress, ok],
    ['https://240.0.0.1/', privateAddress, ok],
    ['https://[fd12:3456::1]/', privateAddress, ok],
    ['https://[FC00::1]/', privateAddress, ok],
    ['https://[fec0::1]/', privateAddress, ok],
    ['https://[2001:db8::1]/', privateAddress, ok],
    ['https://[::ffff:10.0.0.1]/', privateAddress, ok],
    ['https://[::ffff:0:a00:1]/', privateAddress, ok],
    ['https://[64:ff9b::a00:1]/', privateAddress, ok],
    ['https://169.254.169.254/latest/meta-data', linkLocal, linkLocal],
    ['http://169.254.169.254/latest/meta-data', httpsOnly, linkLocal],
    ['http://169.254.170.2/v2/credentials', httpsOnly, linkLocal],
    ['https://2852039166/', linkLocal, linkLocal],
    ['https://0xa9fea9fe/', linkLocal, linkLocal],
    ['https://0251.0376.0251.0376/', linkLocal, linkLocal],
    ['https://169.254.43518/', linkLocal, linkLocal],
    ['https://169.254.169.254./', linkLocal, linkLocal],
    ['https://%31%36%39.254.169.254/', linkLocal, linkLocal],
    ['https://[fe80::1]/', linkLocal, linkLocal],
    ['https://[FE80::1]/', linkLocal, linkLocal],
    ['https://[febf:ffff::1]/', linkLocal, linkLocal],
    ['https://[fd00:ec2::254]/', linkLocal, linkLocal],
    ['https://[fd00:ec2:0:0:0:0:0:254]/', linkLocal, linkLocal],
    ['https://[::ffff:169.254.169.254]/', linkLocal, linkLocal],
    ['https://[::ffff:a9fe:a9fe]/', linkLocal, linkLocal],
    ['https://[::ffff:0:a9fe:a9fe]/', linkLocal, linkLocal],
    ['https://[::a9fe:a9fe]/', linkLocal, linkLocal],
    ['https://[64:ff9b::a9fe:a9fe]/', linkLocal, linkLocal],
    ['https://[64:ff9b::169.254.169.254]/', linkLocal, linkLocal],
    ['https://100.100.100.200/', linkLocal, linkLocal],
    ['https://168.63.129.16/', linkLocal, linkLocal],
    ['https://0.0.0.0/', notUnicast, notUnicast],
    ['http://0.0.0.0:3000/', httpsOnly, notUnicast],
    ['https://0/', notUnicast, notUnicast],
    ['https://0x0/', notUnicast, notUnicast],
    ['https://0.1.2.3/', notUnicast, notUnicast],
    ['https://[::]/', notUnicast, notUnicast],
    ['https://[0:0:0:0:0:0:0:0]/', notUnicast, notUnicast],
    ['https://[::ffff:0.0.0.0]/', notUnicast, notUnicast],
    ['https://224.0.0.1/', notUnicast, notUnicast],
    ['https://239.255.255.250/', notUnicast, notUnicast],
    ['https://255.255.255.255/', notUnicast, notUnicast],
    ['https://4294967295/', notUnicast, notUnicast],
    ['https://[ff02::1]/', notUnicast, notUnicast],
    ['https://[2002:7f00:1::]/', privateAddress, privateAddress],
    ['https://[2002:a9fe:a9fe::]/', privateAddress, privateAddress],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', privateAddress, privateAddress],
    ['https://[64:ff9b:1::a9fe:a9fe]/', privateAddress, privateAddress],
  ])('%s: public-only %s, allow-private %s', (url, publicOnly, allowPrivate) => {
    expect(targetUrlProblem(url, 'public-only')).toBe(publicOnly);
    expect(targetUrlProblem(url, 'allow-private')).toBe(allowPrivate);
  });
});

describe('targetUrlProblem: names', () => {
  it.each<Expected>([
    ['https://hooks.example.com/orders', ok, ok],
    ['https://hooks.example.com./orders', ok, ok],
    ['https://HOOKS.Example.COM:8443/in?x=1#y', ok, ok],
    ['https://bücher.de/hooks', ok, ok],
    // A name for a private address passes syntax; DNS refuses it (resolvedTargetProblem, and every connection).
    ['https://127.0.0.1.nip.io/', ok, ok],
    ['https://localhost/', publicHost, ok],
    ['https://localhost:3000/hook', publicHost, ok],
    ['https://LOCALHOST/', publicHost, ok],
    ['https://localhost./', publicHost, ok],
    ['https://localhost../', emptyLabel, emptyLabel],
    ['https://%6c%6f%63%61%6c%68%6f%73%74/', publicHost, ok],
    ['https://api.localhost/', publicHost, ok],
    ['https://intranet/', publicHost, ok],
    ['https://intranet./', publicHost, ok],
    ['https://printer.local/', publicHost, ok],
    ['https://metadata.google.internal/', publicHost, ok],
    ['https://box.localdomain/', publicHost, ok],
    ['https://nas.home.arpa/', publicHost, ok],
  ])('%s: public-only %s, allow-private %s', (url, publicOnly, allowPrivate) => {
    expect(targetUrlProblem(url, 'public-only')).toBe(publicOnly);
    expect(targetUrlProblem(url, 'allow-private')).toBe(allowPrivate);
  });
});

describe('resolvedTargetProblem: names checked against DNS when saved', () => {
  const answering = (...addresses: string[]) => vi.fn<HostResolver>(async () => addresses);
  const failingWith = (code: string) =>
    vi.fn<HostResolver>(async (hostname) => {
      throw Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code });
    });

  it.each<readonly [TargetPolicy, readonly string[], string | undefined]>([
    ['public-only', ['93.184.215.14'], ok],
    ['public-only', ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'], ok],
    ['public-only', ['10.0.0.1'], 'resolves to a private or reserved address'],
    ['public-only', ['::1'], 'resolves to a private or reserved address'],
    ['public-only', ['93.184.215.14', '10.0.0.1'], 'resolves to a private or reserved address'],
    ['public-only', ['2606:4700:4700::1111', 'fd00::1'], 'resolves to a private or reserved address'],
    ['public-only', ['169.254.169.254'], 'resolves to a link-local or metadata address'],
    ['public-only', ['0.0.0.0'], 'resolves to a multicast, broadcast or unspecified address'],
    ['public-only', [], ok],
    ['allow-private', ['10.0.0.1'], ok],
    ['allow-private', ['127.0.0.1', '::1'], ok],
    ['allow-private', ['169.254.169.254'], 'resolves to a link-local or metadata address'],
    ['allow-private', ['::ffff:169.254.169.254'], 'resolves to a link-local or metadata address'],
    ['allow-private', ['fd00:ec2::254'], 'resolves to a link-local or metadata address'],
    ['allow-private', ['127.0.0.1', '169.254.169.254'], 'resolves to a link-local or metadata address'],
    ['allow-private', ['::'], 'resolves to a multicast, broadcast or unspecified address'],
  ])('under %s, a name resolving to %j: %s', async (policy, addresses, expected) => {
    const resolve = answering(...addresses);

    const problem = await resolvedTargetProblem('https://hooks.example.com/in', policy, resolve);

    expect(problem).toBe(expected);
    expect(resolve).toHaveBeenCalledExactlyOnceWith('hooks.example.com');
  });

  it.each(['ENOTFOUND', 'ENODATA', 'EAI_AGAIN'])(
    'accepts a name that does not resolve now (%s): it is checked on every connection',
    async (code) => {
      const resolve = failingWith(code);

      const problem = await resolvedTargetProblem('https://not-yet.example.com/in', 'public-only', resolve);

      expect(problem).toBeUndefined();
      expect(resolve).toHaveBeenCalledOnce();
    },
  );

  describe('with a resolver that never answers', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('accepts the name after 2 s rather than hang the API call', async () => {
      let settled = false;
      const hanging = vi.fn<HostResolver>(() => new Promise(() => {}));

      const result = resolvedTargetProblem('https://slow.example.com/in', 'public-only', hanging).finally(
        () => {
          settled = true;
        },
      );
      await vi.advanceTimersByTimeAsync(1999);
      const settledEarly = settled;
      await vi.advanceTimersByTimeAsync(1);

      expect(resolveTimeoutMs).toBe(2000);
      expect(settledEarly).toBe(false);
      await expect(result).resolves.toBeUndefined();
      expect(vi.getTimerCount()).toBe(0);
    });

    it('still refuses a refused answer that arrives within the timeout', async () => {
      const late = vi.fn<HostResolver>(
        () => new Promise((resolve) => setTimeout(resolve, 1500, ['169.254.169.254'])),
      );

      const result = resolvedTargetProblem('http://metadata.test/', 'allow-private', late, 2000);
      await vi.advanceTimersByTimeAsync(1500);

      await expect(result).resolves.toBe('resolves to a link-local or metadata address');
    });
  });

  it.each<readonly [string, TargetPolicy, string | undefined]>([
    ['http://hooks.example.com/in', 'public-only', httpsOnly],
    ['https://localhost/in', 'public-only', publicHost],
    ['https://@hooks.example.com/in', 'allow-private', credentials],
    ['https://10.0.0.1/in', 'public-only', privateAddress],
    ['http://[::ffff:a9fe:a9fe]/', 'allow-private', linkLocal],
    ['https://93.184.215.14/in', 'public-only', ok],
    ['http://127.0.0.1:3000/in', 'allow-private', ok],
  ])('judges %s under %s without DNS: %s', async (url, policy, expected) => {
    const resolve = answering('169.254.169.254');

    const problem = await resolvedTargetProblem(url, policy, resolve);

    expect(problem).toBe(expected);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('resolves with the system resolver (localhost is loopback: allowed in the sandbox only)', async () => {
    const addresses = await systemResolver('localhost');

    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((address) => address === '::1' || address.startsWith('127.'))).toBe(true);
    await expect(
      resolvedTargetProblem('http://localhost:3000/in', 'allow-private', systemResolver),
    ).resolves.toBe(undefined);
    await expect(resolvedTargetProblem('https://localhost./in', 'public-only', systemResolver)).resolves.toBe(
      publicHost,
    );
  });
});

describe('WebhookSender: the guard on every connection', () => {
  const loopback = new BlockList();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  const onLoopback = (address: string) =>
    isIP(address) !== 0 && loopback.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');

  /** Every TCP connection attempt (an address a SYN would go to) made while a test runs. */
  const attempts: string[] = [];
  /** Every socket opened, by the host it was asked for. */
  const opened: string[] = [];

  type Lookup = (hostname: string, options: object, callback: (...answer: unknown[]) => void) => void;
  type ConnectOptions = { host?: string; lookup?: Lookup };

  /**
   * A safety net under the guard being tested, so that even a broken guard sends nothing beyond loopback:
   * a socket for a literal non-loopback address is destroyed before it connects, and a lookup answering
   * with a non-loopback address fails. Either shows up as an error that is not the guard's. It sees only
   * `net.connect` (tls.connect publishes nothing), so the connection tests use http URLs only.
   */
  function keepOnLoopback(message: unknown): void {
    const { socket } = message as { socket: Socket };
    socket.on('connectionAttempt', (address: string) => attempts.push(address));
    const connect = socket.connect;
    socket.connect = function (this: Socket, ...args: unknown[]) {
      const first = args[0];
      const options = (Array.isArray(first) ? first[0] : first) as ConnectOptions;
      const host = options.host ?? '';
      opened.push(host);
      if (isIP(host) !== 0 && !onLoopback(host)) {
        process.nextTick(() => this.destroy(new Error(`safety net: not connecting to ${host}`)));
        return this;
      }
      const lookup = options.lookup;
      if (lookup !== undefined) {
        options.lookup = (hostname, lookupOptions, callback) =>
          lookup(hostname, lookupOptions, (error, ...answer) => {
            const addresses = Array.isArray(answer[0])
              ? (answer[0] as LookupAddress[]).map((entry) => entry.address)
              : [String(answer[0])];
            if (error === null && !addresses.every(onLoopback)) {
              return callback(new Error(`safety net: not connecting to ${addresses.join(', ')}`));
            }
            return callback(error, ...answer);
          });
      }
      return Reflect.apply(connect, this, args) as Socket;
    };
  }

  /** A lookup answering from a table, as DNS would, for names the test invents. */
  function answering(table: Readonly<Record<string, readonly string[]>>) {
    return vi.fn<AddressLookup>((hostname, _options, callback) => {
      const addresses = table[hostname];
      if (addresses === undefined) {
        const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return process.nextTick(callback, error, []);
      }
      const answer = addresses.map((address) => ({ address, family: isIP(address) }));
      return process.nextTick(callback, null, answer);
    });
  }

  let receiver: Receiver;
  const senders: WebhookSender[] = [];
  const sender = (policy: TargetPolicy, lookup?: AddressLookup) => {
    const made = new WebhookSender(policy, 2000, lookup);
    senders.push(made);
    return made;
  };
  const post = (to: WebhookSender, url: string) =>
    to.send({ url, body: '{"id":"evt_1"}', contentType: 'application/json', headers: {} });

  beforeAll(async () => {
    receiver = await startReceiver();
    subscribe('net.client.socket', keepOnLoopback);
  });
  beforeEach(() => {
    attempts.length = 0;
    opened.length = 0;
  });
  afterAll(async () => {
    unsubscribe('net.client.socket', keepOnLoopback);
    await Promise.all(senders.map((made) => made.close()));
    await receiver.close();
  });

  it('delivers to a receiver on 127.0.0.1 in the sandbox', async () => {
    const before = receiver.received.length;

    const outcome = await post(sender('allow-private'), `http://127.0.0.1:${receiver.port}/hook`);

    expect(outcome).toMatchObject({ kind: 'response', statusCode: 204 });
    expect(receiver.received.length).toBe(before + 1);
    expect(attempts).toEqual(['127.0.0.1']);
  });

  it('delivers to localhost in the sandbox, through the system lookup', async () => {
    const before = receiver.received.length;

    const outcome = await post(sender('allow-private'), `http://localhost:${receiver.port}/hook`);

    expect(outcome).toMatchObject({ kind: 'response', statusCode: 204 });
    expect(receiver.received.length).toBe(before + 1);
  });

  it('delivers to a name whose lookup gives loopback, so the answer is what it connects to', async () => {
    const lookup = answering({ 'receiver.test': ['127.0.0.1'] });
    const before = receiver.received.length;

    const outcome = await post(sender('allow-private', lookup), `http://receiver.test:${receiver.port}/hook`);

    expect(outcome).toMatchObject({ kind: 'response', statusCode: 204 });
    expect(receiver.received.at(before)?.headers.host).toBe(`receiver.test:${receiver.port}`);
    expect(lookup).toHaveBeenCalledWith(
      'receiver.test',
      expect.objectContaining({ all: true }),
      expect.any(Function),
    );
    expect(attempts).toEqual(['127.0.0.1']);
  });

  it.each<readonly [TargetPolicy, string, string]>([
    ['allow-private', 'http://169.254.169.254/latest/meta-data/', linkLocal],
    ['allow-private', 'http://169.254.170.2/v2/credentials', linkLocal],
    ['allow-private', 'http://0xa9fea9fe/latest/meta-data/', linkLocal],
    ['allow-private', 'http://[::ffff:169.254.169.254]/latest/meta-data/', linkLocal],
    ['allow-private', 'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/', linkLocal],
    ['allow-private', 'http://[fd00:ec2::254]/latest/meta-data/', linkLocal],
    ['allow-private', 'http://[fe80::1]/', linkLocal],
    ['allow-private', 'http://224.0.0.1/', notUnicast],
    ['public-only', 'http://169.254.169.254/latest/meta-data/', linkLocal],
    ['public-only', 'http://10.0.0.1/', privateAddress],
  ])('under %s refuses %s before any connection', async (policy, url, problem) => {
    const outcome = await post(sender(policy), url);

    expect(outcome).toMatchObject({
      kind: 'error',
      error: expect.stringMatching(new RegExp(`^BlockedAddressError: blocked .*: ${problem}$`)),
    });
    expect(opened).toEqual([]);
    expect(attempts).toEqual([]);
  });

  it.each<readonly [TargetPolicy, string, string]>([
    // 0.0.0.0 reaches the local host on Linux: the receiver would get it if the guard let it through.
    ['allow-private', 'http://0.0.0.0:{port}/hook', notUnicast],
    ['allow-private', 'http://0:{port}/hook', notUnicast],
    ['allow-private', 'http://[::]:{port}/hook', notUnicast],
    ['public-only', 'http://127.0.0.1:{port}/hook', privateAddress],
    ['public-only', 'http://2130706433:{port}/hook', privateAddress],
    ['public-only', 'http://0x7f.1:{port}/hook', privateAddress],
    ['public-only', 'http://[::ffff:127.0.0.1]:{port}/hook', privateAddress],
    ['public-only', 'http://[::1]:{port}/hook', privateAddress],
  ])('under %s refuses %s, which would reach the loopback receiver', async (policy, template, problem) => {
    const before = receiver.received.length;

    const outcome = await post(sender(policy), template.replace('{port}', String(receiver.port)));

    expect(outcome).toMatchObject({
      kind: 'error',
      error: expect.stringContaining(`BlockedAddressError: blocked`),
    });
    expect(outcome).toMatchObject({ error: expect.stringContaining(problem) });
    expect(receiver.received.length).toBe(before);
    expect(attempts).toEqual([]);
  });

  it.each<readonly [TargetPolicy, readonly string[], string]>([
    ['allow-private', ['169.254.169.254'], linkLocal],
    ['allow-private', ['::ffff:169.254.169.254'], linkLocal],
    ['allow-private', ['fd00:ec2::254'], linkLocal],
    ['allow-private', ['127.0.0.1', '169.254.169.254'], linkLocal],
    ['allow-private', ['0.0.0.0'], notUnicast],
    ['public-only', ['127.0.0.1'], privateAddress],
    ['public-only', ['10.0.0.1'], privateAddress],
  ])(
    'under %s refuses a name whose lookup gives %j, before connecting',
    async (policy, addresses, problem) => {
      const lookup = answering({ 'rebound.test': addresses });

      const outcome = await post(sender(policy, lookup), `http://rebound.test:${receiver.port}/hook`);

      expect(outcome).toMatchObject({
        kind: 'error',
        error: expect.stringMatching(
          new RegExp(`^BlockedAddressError: blocked rebound\\.test \\(.+\\): ${problem}$`),
        ),
      });
      expect(lookup).toHaveBeenCalledOnce();
      expect(opened).toEqual(['rebound.test']);
      expect(attempts).toEqual([]);
    },
  );

  it('passes a failed lookup on as the error it is', async () => {
    const outcome = await post(sender('allow-private', answering({})), 'http://nowhere.test/hook');

    expect(outcome).toMatchObject({ kind: 'error', error: expect.stringMatching(/^ENOTFOUND: /) });
    expect(attempts).toEqual([]);
  });
});
