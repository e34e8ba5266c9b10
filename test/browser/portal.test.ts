/**
 * The portal in a real browser, as a new user meets it: the sandbox started as `npm start` starts it, its
 * printed `Portal:` link opened in headless Chromium (Debian's package, driven by playwright-core), and every
 * step done by clicking and typing, against a real receiver that verifies each webhook's signature with the
 * `standardwebhooks` package. axe-core checks every page; each page's screenshot goes to test-output/portal/.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortalSigningKeys } from '#core/accounts/portal-signing-key.ts';
import { signPortalToken } from '#core/accounts/portal-token.ts';
import { documentClient } from '#core/aws/dynamodb.ts';
import { chromiumPath, launchChromium } from '../../portal/chromium.ts';
import { awsClients, credentials } from '../support/clients.ts';
import { eventually } from '../support/eventually.ts';
import { type JwtReceiver, startJwtReceiver } from '../support/jwt-receiver.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import {
  createWebhook,
  freePort,
  type SandboxProcess,
  startSandboxProcess,
} from '../support/sandbox-process.ts';
import { startVerifyingReceiver, type VerifyingReceiver } from '../support/verifying-receiver.ts';
import { screenshot, seriousViolations, type Violation } from './support.ts';

const step = 60_000;

let sandbox: SandboxProcess;
let receiver: VerifyingReceiver;
/** A Shipmondo integration's endpoint: it verifies each JWT with jose, pinned to HS256. */
let jwtReceiver: JwtReceiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let link: string;
/** Console errors of every page: a Content-Security-Policy refusal shows up here. */
const consoleErrors: string[] = [];
/** Every page the walk checked with axe, and what axe found there. */
const checked: { name: string; violations: Violation[] }[] = [];

/** axe-core on the page as it is, and its screenshot; the walk's last test asserts no page had a violation. */
async function look(name: string, on: Page = page): Promise<void> {
  checked.push({ name, violations: await seriousViolations(on) });
  await screenshot(on, name);
}

const heading = (name: string | RegExp, level = 1, on: Page = page) =>
  on.getByRole('heading', { name, level }).waitFor({ timeout: 15_000 });

/** Waits until the delivery list's newest item has this status, and gives its id. */
async function newestDelivery(status: 'Succeeded' | 'Failed'): Promise<string> {
  return eventually(async () => {
    const newest = page.locator('li.delivery').first();
    if ((await newest.count()) === 0) return undefined;
    const text = await newest.textContent();
    return text?.includes(status)
      ? ((await newest.getAttribute('data-delivery-id')) ?? undefined)
      : undefined;
  }, `the newest delivery to be ${status}`);
}

/** The labels of the 24-hour chart as drawn: their size on the screen in CSS pixels, and their boxes. */
const chartLabels = (on: Page = page) =>
  on.evaluate<{ text: string; size: number; left: number; right: number; chartRight: number }[]>(`(() => {
    const svg = document.querySelector('svg.chart-svg');
    if (svg === null) return [];
    const chartRight = svg.getBoundingClientRect().right;
    return [...svg.querySelectorAll('text')].map((text) => {
      const box = text.getBoundingClientRect();
      const size = parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a;
      return { text: text.textContent, size, left: box.left, right: box.right, chartRight };
    });
  })()`);

/** A fact of the subscription's page, by its term. */
const fact = (term: string, on: Page = page) =>
  on.locator('.facts dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');

/** Changes the demo account's subscription item as the delivery path does: beside the API, no new version. */
async function keepBehindTheApi(id: string, update: string, values: Record<string, unknown>): Promise<void> {
  const dynamo = new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
  try {
    await dynamo.send(
      new UpdateItemCommand({
        TableName: 'webhooks',
        Key: { pk: { S: 'ACCOUNT#demo' }, sk: { S: `SUBSCRIPTION#${id}` } },
        UpdateExpression: update,
        ConditionExpression: 'attribute_exists(pk)',
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: marshall(values) } : {}),
      }),
    );
  } finally {
    dynamo.destroy();
  }
}

/** The element that has the focus (evaluated in the page, hence a string: the tests have no DOM types). */
const activeElement = (on: Page = page) =>
  on.evaluate<{ tag?: string; text?: string; id?: string }>(`(() => {
    const element = document.activeElement;
    return { tag: element?.tagName.toLowerCase(), text: element?.textContent?.trim(), id: element?.id };
  })()`);

beforeAll(async () => {
  // Looked for first: without Chromium the walk fails at once, saying how to install it.
  chromiumPath();
  receiver = await startVerifyingReceiver();
  jwtReceiver = await startJwtReceiver();
  // The browser and its page open while the sandbox starts. Both are waited for, even when one fails, so that
  // afterAll stops whatever started.
  const opening = (async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
  })();
  const starting = (async () => {
    sandbox = await startSandboxProcess([
      '--memory',
      '--port',
      String(await freePort()),
      '--retry-schedule',
      '1s,1s',
      '--quiet',
    ]);
    await sandbox.waitForOutput('Ready.');
  })();
  for (const settled of await Promise.allSettled([opening, starting])) {
    if (settled.status === 'rejected') throw settled.reason;
  }
  link = (await sandbox.waitForOutput('Portal: ')).split('Portal: ')[1]?.trim() ?? '';
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: sandbox.endpoint });
  page.on('console', (message) => {
    // Chrome logs every 4xx answer as an error; the walk provokes some (a refused create) on purpose.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      consoleErrors.push(message.text());
    }
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.kill();
  await receiver?.close();
  await jwtReceiver?.close();
});

describe('the portal, in a browser', () => {
  it('opens from the link npm start prints, after the other lines and before Ready', async () => {
    const printed = sandbox.output.map((line) => line.split(':')[0]);
    expect(printed.indexOf('Portal')).toBeGreaterThan(printed.indexOf('State'));
    expect(printed.indexOf('Portal')).toBeLessThan(
      sandbox.output.findIndex((line) => line.startsWith('Ready.')),
    );
    expect(link).toMatch(new RegExp(`^${sandbox.endpoint}/portal/#token=whp_[\\w-]+\\.[\\w-]+$`));

    await page.goto(link);
    await heading('Subscriptions');

    // The token left the address bar (and so the history) at once.
    expect(page.url()).toBe(`${sandbox.endpoint}/portal/#/`);
    // Waited for: the heading shows before the list has loaded.
    await page.getByText('No subscriptions yet').waitFor();
    expect(await page.getByText('Account demo').isVisible()).toBe(true);
    await look('01-subscriptions-empty');
  });

  it('creates a subscription, listing at once the API’s own messages and the portal’s for what it refused', {
    timeout: step,
  }, async () => {
    await page.getByRole('link', { name: 'New subscription' }).click();
    await heading('New subscription');
    await page.getByLabel('Name').fill('Warehouse');
    await page.getByLabel('Endpoint URL').fill('ftp://warehouse.example/hooks');
    await page.getByLabel('order.status_updated', { exact: true }).check();
    await page.getByLabel('Content filter (optional)').fill('{"data": {"status": "Shipped"}}');
    // A header line the portal itself cannot read: it must not hold back what the API says of the others.
    const headers = page.getByLabel('Custom headers (optional)');
    await headers.fill('X-Team warehouse');
    await page.getByRole('button', { name: 'Create subscription' }).click();

    const summary = page.locator('.error-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toContain('The subscription was not saved');
    const listed = await summary.getByRole('listitem').allTextContents();
    expect(listed).toEqual([
      'Endpoint URL: must use https or http',
      expect.stringMatching(/^Content filter: .*"status" must be an object or an array/),
      'Custom headers: line 1: write it as Name: value',
    ]);
    expect(await headers.getAttribute('aria-invalid')).toBe('true');
    const filter = page.getByLabel('Content filter (optional)');
    expect(await filter.getAttribute('aria-invalid')).toBe('true');
    const filterError = await page
      .locator(`#${(await filter.getAttribute('aria-describedby'))?.split(' ').at(-1)}`)
      .textContent();
    expect(filterError).toContain('"status" must be an object or an array');
    // The focus is on the summary, which names each error.
    await eventually(
      async () => ((await activeElement()).tag === 'div' ? true : undefined),
      'the focus on the summary',
    );
    await look('02-create-refused');

    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await filter.fill('{"data": {"status": ["Shipped"]}}');
    await headers.fill('X-Team: warehouse');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await heading('Subscription created: its signing secret', 2);

    const secret = await page.getByLabel('Signing secret', { exact: true }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(secret);
    receiver.verifyWith(secret);
    await heading('Warehouse');
    await look('03-created-secret');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    expect(await page.getByLabel('Signing secret', { exact: true }).count()).toBe(0);
  });

  it('sends a test event and shows it delivered', { timeout: step }, async () => {
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByText('Test event sent').waitFor();

    await newestDelivery('Succeeded');

    expect(receiver.received).toEqual([
      expect.objectContaining({ type: 'webhook.test', verified: true, status: 204 }),
    ]);
    await look('04-delivered');
  });

  it('shows the request a delivery sent: its headers and body, readable and copied exactly as signed', {
    timeout: step,
  }, async () => {
    const id = await newestDelivery('Succeeded');
    const delivery = page.locator(`li.delivery[data-delivery-id="${id}"]`);
    await delivery.getByText(/^Attempts \(/).click();
    const panel = delivery.locator('.sent-request');
    await panel.getByRole('heading', { name: /^Request sent/, level: 3 }).waitFor({ timeout: 15_000 });
    expect(await panel.textContent()).toContain('"type": "webhook.test"');

    await panel.getByRole('button', { name: 'Copy headers' }).click();
    const headerText = await page.evaluate('navigator.clipboard.readText()');
    await panel.getByRole('button', { name: 'Copy body' }).click();
    const body = String(await page.evaluate('navigator.clipboard.readText()'));
    const headers = Object.fromEntries(
      String(headerText)
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
    );
    // Copied as signed: the subscription's secret verifies the copied body with the shown headers.
    const { secret } = receiver.received.find((webhook) => webhook.id === id) ?? { secret: '' };
    expect(headers['webhook-id']).toBe(id);
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: 'webhook.test' });
    await look('04b-request-as-sent');
  });

  it('shows a failure with its status code, then a retry that succeeds once the receiver is fixed', {
    timeout: step,
  }, async () => {
    receiver.answer(500);
    await page.getByRole('button', { name: 'Send test event' }).click();

    // Three attempts (--retry-schedule 1s,1s), then failed.
    const id = await newestDelivery('Failed');
    const failed = page.locator(`li.delivery[data-delivery-id="${id}"]`);
    expect(await failed.textContent()).toContain('Latest: HTTP 500');
    await failed.getByText('Attempts (3)').click();
    const attempts = failed.getByRole('region', { name: 'Attempts of webhook.test' });
    expect(await attempts.getByRole('row').count()).toBe(4);
    expect(await attempts.textContent()).toContain('HTTP 500');
    expect(await attempts.textContent()).toContain('receiver answered 500');
    await look('05-failed-attempts');

    receiver.answer(204);
    await failed.getByRole('button', { name: 'Retry now' }).click();
    await eventually(
      async () => ((await failed.textContent())?.includes('Succeeded') ? true : undefined),
      'the retried delivery to succeed',
    );
    expect(await attempts.textContent()).toContain('Retried by hand');
    expect(receiver.received.at(-1)).toMatchObject({ id, verified: true, status: 204 });
  });

  it('recovers every delivery that failed since a time', { timeout: step }, async () => {
    receiver.answer(500);
    await page.getByRole('button', { name: 'Send test event' }).click();
    const id = await newestDelivery('Failed');
    await page.getByLabel('Show').selectOption('failed');
    await eventually(
      async () => ((await page.locator('li.delivery').count()) === 1 ? true : undefined),
      'only failures',
    );
    expect(await page.locator('li.delivery').getAttribute('data-delivery-id')).toBe(id);
    await look('06-filtered-failed');

    receiver.answer(204);
    await page.getByRole('button', { name: 'Recover failed deliveries' }).click();
    await page.getByText('1 failed delivery queued for one more attempt.').waitFor();
    await page.getByText('No failed deliveries.').waitFor({ timeout: 15_000 });
    expect(receiver.received.at(-1)).toMatchObject({ id, verified: true, status: 204 });
    await page.getByLabel('Show').selectOption('');
  });

  it('rotates the secret: the receiver verifies the next webhook with the new one', {
    timeout: step,
  }, async () => {
    const rotate = page.getByRole('button', { name: 'Rotate secret' });
    await rotate.click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
    await dialog.waitFor();
    expect((await activeElement()).text).toBe('Cancel');
    await look('07-rotate-dialog');
    // Escape closes it and the focus goes back to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await activeElement()).text).toBe('Rotate secret');

    const before = receiver.received.length;
    const old = receiver.received[0]?.secret;
    await rotate.click();
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    await heading('The new signing secret', 2);
    // As after a create, the focus is on the new secret (not back on the button), and the news is read out.
    await eventually(
      async () => ((await activeElement()).text === 'The new signing secret' ? true : undefined),
      'the focus on the new secret',
      5_000,
    );
    expect(await page.getByRole('status').filter({ hasText: 'Secret rotated.' }).count()).toBe(1);
    const secret = await page.getByLabel('Signing secret', { exact: true }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(old);
    receiver.verifyWith(secret);
    await look('08-rotated-secret');
    await page.getByRole('button', { name: 'I have saved it' }).click();

    await page.getByRole('button', { name: 'Send test event' }).click();
    await eventually(async () => (receiver.received.length > before ? true : undefined), 'the next webhook');
    expect(receiver.received.at(-1)).toMatchObject({ verified: true, secret, status: 204 });
    await newestDelivery('Succeeded');
  });

  it('pauses and resumes; shows why it was disabled (410 Gone) and re-enables it; edits it', {
    timeout: step,
  }, async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('Paused: no webhooks are sent until you resume.').waitFor();
    expect(await page.getByRole('button', { name: 'Send test event' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('Resumed: new events are delivered again.').waitFor();

    receiver.answer(410);
    await page.getByRole('button', { name: 'Send test event' }).click();
    await heading('Deliveries are stopped', 2);
    expect(await page.locator('.page-head .badge').textContent()).toBe('Disabled');
    // The platform's reason is a sentence of its own, ended before the portal's next one.
    expect(await page.locator('.panel-warning p').textContent()).toBe(
      'The platform disabled this subscription: The endpoint answered 410 Gone. Fix the endpoint, then re-enable it.',
    );
    await look('09-disabled');
    receiver.answer(204);
    await page.getByRole('button', { name: 'Re-enable' }).click();
    await page.getByText('Re-enabled: deliveries resume.').waitFor();
    expect(await page.locator('.page-head .badge').textContent()).toBe('Active');

    await page.getByRole('link', { name: 'Edit' }).click();
    await heading('Edit Warehouse');
    expect(await page.getByLabel('Content filter (optional)').inputValue()).toContain('"Shipped"');
    await page.getByLabel('Name').fill('Warehouse (EU)');
    // A wildcard chosen after some of the types it covers: only the wildcard is saved.
    await page.getByLabel('order.created', { exact: true }).check();
    await page.getByLabel('All order events').check();
    expect(await page.getByLabel('order.created', { exact: true }).isDisabled()).toBe(true);
    // A rate limit out of bounds is refused in the API's words, by the field.
    const rateLimit = page.getByLabel('Rate limit (optional)');
    await rateLimit.fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.error-summary').waitFor();
    expect(await page.locator('.error-summary').getByRole('listitem').allTextContents()).toEqual([
      'Rate limit: must be a whole number of deliveries a second from 1 to 10000, or null for no limit',
    ]);
    expect(await rateLimit.getAttribute('aria-invalid')).toBe('true');
    await rateLimit.fill('25');
    expect(await page.getByLabel('Any order').isChecked()).toBe(true);
    await page.getByLabel('In order per resource').check();
    await look('10-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await heading('Warehouse (EU)');
    // Announced as the other actions are, in the page's live region.
    await page.getByRole('status').filter({ hasText: 'Saved your changes.' }).waitFor({ timeout: 10_000 });
    expect(await fact('Events').textContent()).toBe('order.*');
    expect(await fact('Rate limit').textContent()).toBe(
      'At most 25 deliveries a second; more wait their turn',
    );
    expect(await fact('Order').textContent()).toBe('In order per resource');
    expect(await fact('Circuit').textContent()).toBe('Closed: deliveries are attempted as usual');
    expect(await fact('Delivery lane').textContent()).toBe('Main: the endpoint answers quickly');
  });

  it('shows an open circuit, the slow lane and a Retry-After wait as the platform keeps them, read-only', {
    timeout: step,
  }, async () => {
    const id = new URL(page.url()).hash.replace('#/webhooks/', '');
    const now = Date.now();
    const openedAt = new Date(now - 60_000).toISOString();
    const probeAt = new Date(now + 40_000).toISOString();
    // Written as the delivery path writes them, beside the API (the sandbox's account is `demo`).
    await keepBehindTheApi(id, 'SET circuit = :circuit, slowSince = :slow, backOffUntil = :until', {
      ':circuit': { openedAt, probeAt, probeDelaySeconds: 40, token: 'probe' },
      ':slow': new Date(now - 3_600_000).toISOString(),
      ':until': new Date(now + 600_000).toISOString(),
    });

    // The page reads the subscription again every few seconds.
    await heading('Deliveries are held', 2);
    const held = await page.locator('.panel-held').textContent();
    expect(held).toContain('its deliveries wait as pending: they are not attempted and use no attempt');
    expect(await fact('Circuit').textContent()).toMatch(
      /^Open since .+: deliveries are held\. Next probe: .+$/,
    );
    expect(await fact('Delivery lane').textContent()).toMatch(/^Slow since .+: the endpoint answers slowly/);
    expect(await fact('Waiting').textContent()).toMatch(
      /^The endpoint asked to be left alone \(Retry-After\) until /,
    );
    await look('10b-circuit-open');

    await keepBehindTheApi(id, 'REMOVE circuit, slowSince, backOffUntil', {});
    await page.locator('.panel-held').waitFor({ state: 'detached', timeout: 15_000 });
    expect(await fact('Circuit').textContent()).toBe('Closed: deliveries are attempted as usual');
  });

  it('charts the last 24 hours of attempts by outcome, as the receiver saw them', {
    timeout: step,
  }, async () => {
    const expected = {
      all: receiver.received.length,
      succeeded: receiver.received.filter((webhook) => webhook.status < 300).length,
    };
    const caption = page.locator('figure.chart figcaption');
    const counted = await eventually(async () => {
      const match =
        /^(\d+) attempts in the last 24 hours: (\d+) succeeded, (\d+) got an HTTP error, (\d+) got no answer/.exec(
          (await caption.textContent()) ?? '',
        );
      const numbers = match?.slice(1).map(Number);
      return numbers?.[0] === expected.all ? numbers : undefined;
    }, `the chart to count ${expected.all} attempts`);

    expect(counted).toEqual([expected.all, expected.succeeded, expected.all - expected.succeeded, 0]);
    expect(await page.locator('svg.chart-svg rect.bar-http_error').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.chart-svg').getAttribute('role')).toBe('img');
  });

  it('is usable 375 pixels wide', { timeout: step }, async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    const newest = page.locator('li.delivery').first();
    await newest.getByText(/^Attempts/).click();
    // Narrow, the attempts are a list of their facts rather than a table to scroll.
    await newest.getByRole('list', { name: 'Attempts of webhook.test' }).waitFor();
    expect(await newest.getByRole('table').count()).toBe(0);
    expect(await overflow()).toBeLessThanOrEqual(0);
    // The chart's labels keep their size (12 CSS pixels) rather than shrink with it, and fewer hours are
    // labelled so that they do not run into each other or off the chart.
    const labels = await eventually(
      async () => {
        const drawn = await chartLabels();
        return drawn.length > 0 && drawn.every((label) => label.size >= 12) ? drawn : undefined;
      },
      'chart labels of at least 12 pixels, 375 pixels wide',
      5_000,
    );
    const hourLabels = labels.filter((label) => /\d:\d\d/.test(label.text)).sort((a, b) => a.left - b.left);
    expect(hourLabels.length).toBeGreaterThanOrEqual(2);
    // Under the hours, the date of the first (its month in words, unlike the counts up the side).
    expect(
      labels.filter((label) => /\p{L}/u.test(label.text) && !/\d:\d\d/.test(label.text)).length,
    ).toBeGreaterThan(0);
    for (const [index, label] of hourLabels.entries()) {
      expect(label.right).toBeLessThanOrEqual(label.chartRight);
      expect(label.left).toBeGreaterThan(hourLabels[index - 1]?.right ?? Number.NEGATIVE_INFINITY);
    }
    await look('11-subscription-narrow');
    await page
      .getByRole('navigation', { name: 'Breadcrumbs' })
      .getByRole('link', { name: 'Subscriptions' })
      .click();
    await heading('Subscriptions');
    await page.getByRole('link', { name: 'Warehouse (EU)' }).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    // Each card shows the end of its subscription's id, all of it on hover.
    const id = page.locator('li.card', { hasText: 'Warehouse (EU)' }).locator('code[title^="sub_"]');
    expect(await id.textContent()).toBe(`…${(await id.getAttribute('title'))?.slice(-6)}`);
    await look('12-subscriptions-narrow');
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  it('works from the keyboard: each page starts at its heading, in a sensible order', {
    timeout: step,
  }, async () => {
    // Each page is read once it has loaded (on a busy machine the list, or the page's actions, come later).
    await page.getByRole('link', { name: 'Warehouse (EU)' }).waitFor();
    expect(await activeElement()).toMatchObject({ tag: 'h1', text: 'Subscriptions' });
    await page.keyboard.press('Tab');
    expect(await activeElement()).toMatchObject({ tag: 'a', text: 'New subscription' });
    await page.keyboard.press('Tab');
    expect(await activeElement()).toMatchObject({ tag: 'a', text: 'Warehouse (EU)' });
    await page.keyboard.press('Enter');
    await heading('Warehouse (EU)');
    await page.getByRole('button', { name: 'Send test event' }).waitFor();
    expect(await activeElement()).toMatchObject({ tag: 'h1', text: 'Warehouse (EU)' });
    await page.keyboard.press('Tab');
    expect(await activeElement()).toMatchObject({ tag: 'button', text: 'Send test event' });
    await look('13-subscription');
  });

  it('deletes only after a confirmation', { timeout: step }, async () => {
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Warehouse (EU)?' });
    await dialog.waitFor();
    await look('14-delete-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await heading('Warehouse (EU)');

    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete subscription' }).click();
    await heading('Subscriptions');
    await page.getByText('Deleted Warehouse (EU).').waitFor();
    // Waited for: the list may still be loading when the notice shows.
    await page.getByText('No subscriptions yet').waitFor();
  });

  it('says a subscription that is not there is not found, in the portal’s words, and reads nothing else of it', {
    timeout: step,
  }, async () => {
    const asked: string[] = [];
    const listen = (request: { url(): string }) => {
      const { pathname } = new URL(request.url());
      if (pathname.includes('sub_doesnotexist')) asked.push(pathname);
    };
    page.on('request', listen);
    try {
      for (const address of ['#/webhooks/sub_doesnotexist', '#/webhooks/sub_doesnotexist/edit']) {
        await page.evaluate(`location.hash = '${address}'`);
        await heading('Subscription not found');
        await page
          .getByText(
            'Your account has no subscription sub_doesnotexist: it was deleted, or the address is wrong.',
          )
          .waitFor();
        // Up to the list only: a link to the subscription would lead to this page again.
        expect(
          await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link').allTextContents(),
        ).toEqual(['Subscriptions']);
        if (address.endsWith('/edit')) await look('14a-subscription-not-found');
        await page.evaluate(`location.hash = '#/'`);
        await heading('Subscriptions');
      }
    } finally {
      page.off('request', listen);
    }
    // The subscription only: not its deliveries (for the list or the chart).
    expect(new Set(asked)).toEqual(new Set(['/v1/webhooks/sub_doesnotexist']));
  });

  it('creates a JWT (Shipmondo) subscription: the key refused by its field, a failed verification by the URL, then its compatible id', {
    timeout: step,
  }, async () => {
    const key = randomBytes(24).toString('base64url');
    jwtReceiver.useKey(key);
    await page.getByRole('link', { name: 'New subscription' }).click();
    await heading('New subscription');
    await page.getByLabel('Name').fill('Shipmondo orders');
    await page.getByLabel('Endpoint URL').fill(jwtReceiver.url);
    await page.getByLabel('order.created', { exact: true }).check();
    const jwtKey = page.getByLabel('JWT key');
    expect(await jwtKey.count()).toBe(0);
    await page.getByLabel('JWT (Shipmondo)').check();
    expect(await jwtKey.getAttribute('type')).toBe('password');
    expect(await jwtKey.getAttribute('required')).not.toBeNull();
    const summary = page.locator('.error-summary');
    const create = page.getByRole('button', { name: 'Create subscription' });

    await jwtKey.fill('fifteen chars!!');
    await create.click();
    await summary.waitFor();
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      'JWT key: must be at least 32 bytes (HS256 wants a key as long as its hash, RFC 7518)',
    ]);
    expect(await jwtKey.getAttribute('aria-invalid')).toBe('true');
    expect(jwtReceiver.messages).toEqual([]);

    // The endpoint gets the verification request first; refused, nothing is created and the URL says why.
    jwtReceiver.answer(500);
    await jwtKey.fill(key);
    await create.click();
    const url = page.getByLabel('Endpoint URL');
    await eventually(
      async () => ((await url.getAttribute('aria-invalid')) === 'true' ? true : undefined),
      'the URL refused',
    );
    expect(await summary.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/^Endpoint URL: did not take the verification request: .*500.*must answer 200/),
    ]);
    expect(await jwtKey.getAttribute('aria-invalid')).toBeNull();
    expect(jwtReceiver.messages).toEqual([expect.objectContaining({ verified: true, status: 500 })]);
    await look('14b-jwt-verification-refused');

    jwtReceiver.answer(200);
    await create.click();
    await heading('Subscription created: its signing secret', 2);
    await heading('Shipmondo orders');
    expect(await page.locator('.panel-secret').textContent()).toContain(
      'receivers written for Shipmondo verify its JWT with your JWT key',
    );
    await page.getByRole('button', { name: 'I have saved it' }).click();
    const verification = jwtReceiver.messages.at(-1);
    expect(verification).toMatchObject({
      verified: true,
      status: 200,
      claims: { webhook: 'Shipmondo orders', url: jwtReceiver.url },
      smd: { resourceType: 'Orders', action: 'create' },
    });
    expect(await fact('Format').textContent()).toBe('JWT (Shipmondo)');
    expect(await fact('JWT key').textContent()).toBe(
      'Set, and never shown again. To replace it, edit the subscription and type a new one.',
    );
    const compatibleId = verification?.smd.webhookId;
    expect(compatibleId).toMatch(/^[1-9]\d*$/);
    expect(await fact('Compatible id').textContent()).toBe(
      `${compatibleId} (/api/public/v3/webhooks/${compatibleId})`,
    );
    await look('14c-jwt-subscription');
  });

  it('edits a JWT subscription: its key kept unless a new one is typed, and none sent when it leaves JWT', {
    timeout: step,
  }, async () => {
    const jwtKey = page.getByLabel('JWT key');
    const edit = async (title: string) => {
      await page.getByRole('link', { name: 'Edit' }).click();
      await heading(title);
    };
    const save = async (title: string) => {
      await page.getByRole('button', { name: 'Save changes' }).click();
      await heading(title);
      await page.getByRole('status').filter({ hasText: 'Saved your changes.' }).waitFor({ timeout: 10_000 });
    };
    /** Sends a test event and gives what the receiver made of it. */
    const testEvent = async () => {
      const before = jwtReceiver.messages.length;
      await page.getByRole('button', { name: 'Send test event' }).click();
      return eventually(async () => jwtReceiver.messages[before], 'the test event at the JWT receiver');
    };

    await edit('Edit Shipmondo orders');
    expect(await jwtKey.inputValue()).toBe('');
    expect(await jwtKey.getAttribute('required')).toBeNull();
    await page.getByLabel('Name').fill('Shipmondo orders (EU)');
    await look('14d-jwt-edit');
    await save('Shipmondo orders (EU)');
    // Still signed with the key given at creation (the receiver's), under the new name.
    expect(await testEvent()).toMatchObject({ verified: true, claims: { webhook: 'Shipmondo orders (EU)' } });

    // A new key is verified first, as at creation: refused by the URL while the receiver knows only the old one.
    const newKey = randomBytes(24).toString('base64url');
    await edit('Edit Shipmondo orders (EU)');
    await jwtKey.fill(newKey);
    const refusals = jwtReceiver.messages.length;
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('did not take the verification request').first().waitFor({ timeout: 10_000 });
    expect(jwtReceiver.messages[refusals]).toMatchObject({
      verified: false,
      rejection: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
    jwtReceiver.useKey(newKey);
    await save('Shipmondo orders (EU)');
    expect(await testEvent()).toMatchObject({ verified: true, status: 200 });

    // A key typed, then another format chosen: the API would refuse a key for JSON, so none may be sent.
    await edit('Edit Shipmondo orders (EU)');
    await jwtKey.fill(randomBytes(24).toString('base64url'));
    await page.getByLabel('JSON', { exact: true }).check();
    expect(await jwtKey.count()).toBe(0);
    await save('Shipmondo orders (EU)');
    expect(await fact('Format').textContent()).toBe('JSON');
    expect(await fact('JWT key').count()).toBe(0);
    expect(await fact('Compatible id').textContent()).toMatch(
      /^\d+ \(not listed by the Shipmondo-compatible API while its format is not JWT\)$/,
    );
  });

  // The links' tests each open a browser context of their own and change nothing: they run at once.
  it.concurrent.for([
    ['expired', 'This link has expired', /expired/gi],
    ['forged', 'This link is not valid', /not valid/gi],
  ] as const)(
    'a %s link says so once, and reaches no data',
    { timeout: step },
    async ([kind, title, said], { expect }) => {
      // A genuine token that has expired is signed with the sandbox's own key (read from its table, as only the
      // platform could); a forged one with any other key.
      const dynamo = new DynamoDBClient({ endpoint: sandbox.endpoint, region: 'us-east-1', credentials });
      const key =
        kind === 'expired'
          ? await new PortalSigningKeys(documentClient(dynamo), 'webhooks').existing()
          : randomBytes(32);
      dynamo.destroy();
      if (key === undefined) throw new Error('The sandbox has no portal signing key');
      const expiresAt = new Date(kind === 'expired' ? Date.now() - 60_000 : Date.now() + 3_600_000);
      const token = signPortalToken({ accountId: 'demo', expiresAt }, key);
      const fresh = await browser.newContext();
      const other = await fresh.newPage();
      const answered: number[] = [];
      other.on('response', (response) => {
        if (new URL(response.url()).pathname.startsWith('/v1/')) answered.push(response.status());
      });

      await other.goto(`${sandbox.endpoint}/portal/#token=${token}`);
      await heading(title, 1, other);

      expect((await other.locator('main').textContent())?.match(said)).toHaveLength(1);
      expect(
        await other
          .getByText('To open the portal, ask the service that gave you this link for a new one.')
          .isVisible(),
      ).toBe(true);
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.every((status) => status === 401)).toBe(true);
      expect(await other.locator('li.card, li.delivery').count()).toBe(0);
      await look(`15-link-${kind}`, other);
      await fresh.close();
    },
  );

  it.concurrent('without a link, says where to get one; the link opened then in the same tab opens it', {
    timeout: step,
  }, async () => {
    const fresh = await browser.newContext();
    const other = await fresh.newPage();
    await other.goto(`${sandbox.endpoint}/portal/`);
    await heading('Open the portal from your link', 1, other);
    // Opened from this machine, it is a developer's sandbox: there is no service to ask, npm start prints one.
    await other
      .getByText(/^Running the sandbox on this machine\? Open the link that npm start prints/)
      .waitFor();
    await look('16-no-link', other);

    // Pasted into this tab, the link changes only the address's fragment, which by itself loads nothing.
    await other.goto(link);
    await heading('Subscriptions', 1, other);
    expect(other.url()).toBe(`${sandbox.endpoint}/portal/#/`);
    await fresh.close();
  });

  it('had no serious or critical accessibility violation on any page, and no console error', () => {
    expect(checked.map(({ name }) => name)).toHaveLength(23);
    expect(checked.filter(({ violations }) => violations.length > 0)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

/** A bus event of the fixtures (test/fixtures/events), as a publisher puts it on the bus. */
async function fixtureEvent(
  type: string,
): Promise<{ source: string; detail: { id: string; data: unknown } }> {
  const text = await readFile(new URL(`../fixtures/events/${type}.json`, import.meta.url), 'utf8');
  const parsed = JSON.parse(text) as { source: string; detail: { id: string; data: unknown } };
  return { source: parsed.source, detail: parsed.detail };
}

/** The minute a moment falls in, as a `datetime-local` input takes it in this machine's (and Chromium's) time. */
function localMinute(moment: Date): string {
  const shifted = new Date(moment.getTime() - moment.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

describe('the events log, in a browser', () => {
  let eventsReceiver: Receiver | undefined;
  afterAll(async () => {
    await eventsReceiver?.close();
  });

  it('lists two published events newest first, filters them by type and time, and opens one with its data and its delivery', {
    timeout: 90_000,
  }, async () => {
    const errorsBefore = consoleErrors.length;
    const violations: { name: string; violations: Violation[] }[] = [];
    const check = async (name: string) => {
      violations.push({ name, violations: await seriousViolations(page) });
      await screenshot(page, name);
    };
    // 375 pixels wide (a phone): nothing wider than the screen but a table's own scrolling region, and what
    // `narrow` asserts there.
    const checkNarrow = async (name: string, narrow: () => Promise<void>) => {
      await page.setViewportSize({ width: 375, height: 812 });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBe(0);
      await narrow();
      await check(name);
      await page.setViewportSize({ width: 1200, height: 900 });
    };
    eventsReceiver = await startReceiver();
    const got = eventsReceiver;
    const subscription = await createWebhook(sandbox, {
      name: 'Events walk',
      url: got.url,
      events: ['order.created', 'shipment.created'],
    });
    // The walk's minute starts before either event is taken: "From" it lists both, "To" it neither.
    const minute = localMinute(new Date());
    const { eventBridge } = awsClients(sandbox.endpoint);
    const order = await fixtureEvent('order.created');
    const shipment = await fixtureEvent('shipment.created');
    try {
      // One at a time, each delivered before the next is published: the shipment is the newer of the two.
      for (const [index, [type, event]] of (
        [
          ['order.created', order],
          ['shipment.created', shipment],
        ] as const
      ).entries()) {
        await eventBridge.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: sandbox.eventBus,
                Source: event.source,
                DetailType: type,
                Detail: JSON.stringify(event.detail),
              },
            ],
          }),
        );
        await eventually(
          async () => (got.received.length > index ? true : undefined),
          `the ${type} webhook at the receiver`,
        );
      }
    } finally {
      eventBridge.destroy();
    }
    const orderWebhook = JSON.parse(got.received[0]?.body ?? '{}') as { id: string; data: unknown };
    const shipmentWebhook = JSON.parse(got.received[1]?.body ?? '{}') as { id: string };

    // From the list's header, as a person finds it.
    // The link again, loaded afresh (from another address of the portal it would be a change of fragment only):
    // the walk so far kept its token in this tab, and a run of this test alone has none yet.
    await page.goto('about:blank');
    await page.goto(link);
    await heading('Subscriptions');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Events' }).click();
    await heading('Events');
    const rows = page.locator('table.events tbody tr');
    await rows.first().waitFor();
    expect(await rows.nth(0).getAttribute('data-event-id')).toBe(shipmentWebhook.id);
    expect(await rows.nth(1).getAttribute('data-event-id')).toBe(orderWebhook.id);
    expect(await rows.nth(1).textContent()).toContain(order.detail.id);
    await check('30-events');
    // Narrow, each event is a list item of its facts, every one of them on the screen (a table showed two).
    await checkNarrow('30b-events-narrow', async () => {
      expect(await page.locator('table.events').isVisible()).toBe(false);
      const item = page
        .getByRole('list', { name: 'Events' })
        .locator(`li[data-event-id="${orderWebhook.id}"]`);
      expect(await item.isVisible()).toBe(true);
      const facts = await item.textContent();
      for (const fact of [
        'order.created',
        'Received',
        `Resource${order.detail.id}`,
        `Id${orderWebhook.id}`,
      ]) {
        expect(facts).toContain(fact);
      }
    });

    // By type: only order.created, ours among them.
    await page.getByLabel('Event type').selectOption('order.created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await eventually(async () => {
      const types = await page.locator('table.events tbody tr td:nth-child(2)').allTextContents();
      return types.length > 0 && types.every((type) => type === 'order.created') ? types : undefined;
    }, 'only order.created events');
    expect(await page.locator(`tr[data-event-id="${orderWebhook.id}"]`).count()).toBe(1);
    await check('31-events-by-type');

    // By time: "To" the walk's minute (exclusive) leaves ours out; "From" it keeps them.
    await page.getByLabel('To', { exact: true }).fill(minute);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await eventually(
      async () =>
        (await page.locator(`tr[data-event-id="${orderWebhook.id}"]`).count()) === 0 ? true : undefined,
      'the walk’s order left out before its minute',
    );
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByLabel('From', { exact: true }).fill(minute);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator(`tr[data-event-id="${orderWebhook.id}"]`).waitFor();
    // A resource nobody published: said so, in words.
    await page.getByLabel('Resource id').fill('ord_nobody_published');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No events match these filters.').waitFor();
    await check('32-events-none');
    await page.getByLabel('Resource id').fill(order.detail.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();

    // The event: its data as the webhook carried it, copyable, and its delivery to the subscription.
    await page
      .locator(`tr[data-event-id="${orderWebhook.id}"]`)
      .getByRole('link', { name: 'order.created' })
      .click();
    await heading(/order\.created/);
    const data = page.getByRole('region', { name: 'The event’s data, as JSON' });
    expect(JSON.parse((await data.textContent()) ?? '')).toEqual(orderWebhook.data);
    await page.getByRole('button', { name: 'Copy data' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(JSON.parse(await page.evaluate<string>('navigator.clipboard.readText()'))).toEqual(
      orderWebhook.data,
    );
    // Its delivery to the walk's subscription (the walk's earlier subscriptions may take order.created too).
    const deliveryId = String(got.received[0]?.headers['webhook-id']);
    const delivery = page
      .getByRole('region', { name: 'Deliveries of this event' })
      .locator(`tbody tr[data-delivery-id="${deliveryId}"]`);
    await eventually(
      async () => ((await delivery.textContent())?.includes('Succeeded') ? true : undefined),
      'the delivery shown as succeeded',
    );
    expect(await delivery.textContent()).toContain('1 attempt');
    expect(await delivery.textContent()).toContain('HTTP 204');
    await check('33-event');
    await checkNarrow('33b-event-narrow', async () => {
      const item = page
        .getByRole('list', { name: 'Deliveries of this event' })
        .locator(`li[data-delivery-id="${deliveryId}"]`);
      expect(await item.isVisible()).toBe(true);
      expect(await item.textContent()).toMatch(
        /^Events walkStatusSucceededAttempts1 attemptLast answerHTTP 204 in .+, .+$/,
      );
    });

    // Its link: the subscription's page with that delivery first, its attempts open.
    await delivery.getByRole('link', { name: 'Events walk' }).click();
    await heading('Events walk');
    expect(page.url()).toContain(`#/webhooks/${subscription.id}/deliveries/${deliveryId}`);
    const shown = page.locator('li.delivery').first();
    await eventually(
      async () => ((await shown.getAttribute('data-delivery-id')) === deliveryId ? true : undefined),
      'the opened delivery first',
    );
    expect(await shown.locator('details').getAttribute('open')).not.toBeNull();
    // The focus is where the page scrolled to: on the opened delivery, not on the heading at the top.
    await eventually(
      async () =>
        (await page.evaluate<string | undefined>(
          "document.activeElement?.closest('li.delivery')?.dataset.deliveryId",
        )) === deliveryId
          ? true
          : undefined,
      'the focus on the opened delivery',
    );
    // The card says which event it delivers, and links back to it.
    expect(await shown.getByRole('link', { name: orderWebhook.id }).getAttribute('href')).toBe(
      `#/events/${orderWebhook.id}`,
    );
    await check('34-event-delivery');

    // The deliveries' time window: "To" the walk's minute leaves out the shipment's delivery (the opened one
    // stays first, as its link asked); "Any time" brings it back.
    const shipmentDelivery = page.locator(
      `li.delivery[data-delivery-id="${String(got.received[1]?.headers['webhook-id'])}"]`,
    );
    await shipmentDelivery.waitFor();
    const deliveryWindow = page.getByRole('form', { name: 'Deliveries’ time window' });
    await deliveryWindow.getByLabel('To', { exact: true }).fill(minute);
    await deliveryWindow.getByRole('button', { name: 'Apply time window' }).click();
    await shipmentDelivery.waitFor({ state: 'detached' });
    expect(await page.locator('li.delivery').count()).toBe(1);
    await check('35-deliveries-window');
    await deliveryWindow.getByRole('button', { name: 'Any time' }).click();
    await shipmentDelivery.waitFor();

    expect(violations.filter((page) => page.violations.length > 0)).toEqual([]);
    expect(consoleErrors.slice(errorsBefore)).toEqual([]);
  });

  it('takes the keyboard focus to the first row the last page brought, once Load more is gone with it', {
    timeout: 90_000,
  }, async () => {
    // 26 events of a type the walk publishes nowhere else, each delivered to one subscription: more than a page
    // of the events log (25) and of the subscription's deliveries (20).
    const got = await startReceiver();
    try {
      await createWebhook(sandbox, { name: 'Twenty-six drafts', url: got.url, events: ['draft.deleted'] });
      const draft = await fixtureEvent('draft.deleted');
      const { eventBridge } = awsClients(sandbox.endpoint);
      try {
        // PutEvents takes 10 entries at most.
        for (let start = 0; start < 26; start += 10) {
          const entries = Array.from({ length: Math.min(10, 26 - start) }, (_, offset) => ({
            EventBusName: sandbox.eventBus,
            Source: draft.source,
            DetailType: 'draft.deleted',
            Detail: JSON.stringify({ ...draft.detail, id: `dft_focus_${start + offset}` }),
          }));
          await eventBridge.send(new PutEventsCommand({ Entries: entries }));
        }
      } finally {
        eventBridge.destroy();
      }
      await eventually(async () => (got.received.length >= 26 ? true : undefined), '26 webhooks delivered');

      await page.goto('about:blank');
      await page.goto(link);
      await heading('Subscriptions');
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Events' }).click();
      await heading('Events');
      await page.getByLabel('Event type').selectOption('draft.deleted');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      const rows = page.locator('table.events tbody tr');
      await eventually(async () => ((await rows.count()) === 25 ? true : undefined), 'a first page of 25');
      await page.getByRole('button', { name: 'Load more events' }).press('Enter');
      // (While it loads, the button is named "Loading…".)
      await eventually(async () => ((await rows.count()) === 26 ? true : undefined), 'the last page');
      expect(await page.getByRole('button', { name: /Load more events|Loading/ }).count()).toBe(0);
      expect(
        await page.evaluate<string | undefined>("document.activeElement?.closest('tr')?.dataset.eventId"),
      ).toBe(await rows.nth(25).getAttribute('data-event-id'));

      await page
        .getByRole('navigation', { name: 'Sections' })
        .getByRole('link', { name: 'Subscriptions' })
        .click();
      await page.getByRole('link', { name: 'Twenty-six drafts', exact: true }).click();
      await heading('Twenty-six drafts');
      const deliveries = page.locator('li.delivery');
      await eventually(
        async () => ((await deliveries.count()) === 20 ? true : undefined),
        '20 deliveries shown',
      );
      await page.getByRole('button', { name: 'Show more deliveries' }).press('Enter');
      await eventually(
        async () => ((await deliveries.count()) === 26 ? true : undefined),
        '26 deliveries shown',
      );
      expect(await page.getByRole('button', { name: /Show more deliveries|Loading/ }).count()).toBe(0);
      await eventually(
        async () =>
          (await page.evaluate<string | undefined>(
            "document.activeElement?.closest('li.delivery')?.dataset.deliveryId",
          )) === (await deliveries.nth(20).getAttribute('data-delivery-id'))
            ? true
            : undefined,
        'the focus on the 21st delivery',
      );
    } finally {
      await got.close();
    }
  });
});
