import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { userAgent } from '#core/egress/webhook-sender.ts';
import { productVersion } from '#core/platform.ts';

describe('the product version', () => {
  it('is package.json’s, and the User-Agent of every webhook names it', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

    expect(productVersion).toBe(version);
    expect(userAgent).toBe(`Hookbridge/${version} (webhooks; +https://www.standardwebhooks.com/)`);
  });
});
