import { describe, expect, it } from 'vitest';
import { portalRefusals } from '#core/accounts/portal-access.ts';
import {
  expiredLink,
  isOnThisMachine,
  msUntilExpiry,
  refusedLink,
  showsDetail,
} from '../../../portal/src/pages/link-problem/model.ts';
import type { Link } from '../../../portal/src/session.ts';

const link: Link = { token: 'whp_x.y', accountId: 'acct_demo', expiresAt: new Date('2026-11-27T11:00:00Z') };
const before = new Date('2026-11-27T10:00:00Z');

describe('the link problem page’s model', () => {
  it('calls a refused link expired when the API says so, keeping its words', () => {
    expect(refusedLink(link, portalRefusals.expired, before)).toEqual({
      kind: 'expired',
      detail: portalRefusals.expired,
    });
  });

  it('calls a refused link expired when its own expiry has passed, whatever the API says', () => {
    expect(refusedLink(link, portalRefusals.invalid, new Date('2026-11-27T11:00:00Z'))).toEqual({
      kind: 'expired',
      detail: portalRefusals.invalid,
    });
  });

  it('calls any other refusal of a link in time not valid', () => {
    expect(refusedLink(link, portalRefusals.otherSite, before)).toEqual({
      kind: 'invalid',
      detail: portalRefusals.otherSite,
    });
  });

  it('shows the API’s words only when they say more than the title', () => {
    expect(showsDetail({ kind: 'expired', detail: portalRefusals.expired })).toBe(false);
    expect(showsDetail({ kind: 'invalid', detail: portalRefusals.invalid })).toBe(false);
    expect(showsDetail({ kind: 'invalid', detail: portalRefusals.otherSite })).toBe(true);
    expect(showsDetail({ kind: 'expired', detail: portalRefusals.invalid })).toBe(true);
    expect(showsDetail({ kind: 'missing' })).toBe(false);
    expect(expiredLink).toEqual({ kind: 'expired', detail: portalRefusals.expired });
  });

  it('waits until the link’s expiry to show the expiry page, at most as long as a timer can', () => {
    expect(msUntilExpiry(link, before.getTime())).toBe(3_600_000);
    expect(msUntilExpiry({ ...link, expiresAt: new Date('2027-11-27T10:00:00Z') }, before.getTime())).toBe(
      2_147_483_647,
    );
  });

  it('sets no timer for a link without an expiry, or one that looks expired already', () => {
    expect(msUntilExpiry({ ...link, expiresAt: undefined }, before.getTime())).toBeUndefined();
    expect(msUntilExpiry(link, Date.parse('2026-11-27T11:00:00Z'))).toBeUndefined();
  });

  it('tells a portal opened from this machine (the sandbox) from one opened from a deployment', () => {
    for (const local of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]'])
      expect(isOnThisMachine(local)).toBe(true);
    for (const remote of ['portal.example.com', '10.0.0.1', '127.example.com', 'localhost.example.com']) {
      expect(isOnThisMachine(remote)).toBe(false);
    }
  });
});
