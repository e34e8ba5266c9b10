/**
 * What a new user meets first, on a sandbox started as `npm start` starts it: its banner says the options in
 * effect, and its address (`GET /`) points to the portal and to the APIs' descriptions instead of a 404.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type SandboxProcess, useSandboxProcesses } from '../support/sandbox-process.ts';

const sandboxes = useSandboxProcesses('hookbridge-front-door-');
let sandbox: SandboxProcess;
let args: string[];

beforeAll(async () => {
  args = await sandboxes.args('--quiet', '--retry-schedule', '1s,5s', '--disable-after', '3s');
  sandbox = await sandboxes.start(args);
  await sandbox.waitForOutput('Ready.');
}, 60_000);

describe('the startup banner', () => {
  it('lists the options that differ from the defaults, settings as the usage text writes them', () => {
    const [, port, , dataDir] = args;

    expect(sandbox.output.find((line) => line.startsWith('Options: '))).toBe(
      `Options: --port ${port} --data-dir ${dataDir} --quiet --retry-schedule 1s,5s --disable-after 3s`,
    );
  });

  it('prints it after the portal link, just before Ready', () => {
    const labels = sandbox.output.map((line) => line.split(/[:.] /)[0]);

    expect(labels.indexOf('Options')).toBe(labels.indexOf('Portal') + 1);
    expect(labels.indexOf('Ready')).toBe(labels.indexOf('Options') + 1);
    expect(labels.indexOf('API user')).toBe(labels.indexOf('API key') + 1);
  });
});

describe('GET /', () => {
  it('answers without a key with absolute links to the portal and the APIs’ descriptions', async () => {
    const response = await fetch(`${sandbox.endpoint}/`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      name: 'Hookbridge',
      portal: `${sandbox.endpoint}/portal/`,
      portal_sessions: `${sandbox.endpoint}/v1/portal-sessions`,
      openapi: `${sandbox.endpoint}/v1/openapi.json`,
      event_types: `${sandbox.endpoint}/v1/event-types`,
      compatible_openapi: `${sandbox.endpoint}/api/public/v3/openapi.json`,
    });
  });

  it('links to what is there: each link a GET without a key opens', async () => {
    const links = (await (await fetch(`${sandbox.endpoint}/`)).json()) as Record<string, string>;
    const opened = async (url: string) => {
      const response = await fetch(url);
      return `${response.status} ${response.headers.get('content-type')?.split(';')[0]}`;
    };

    expect(await opened(links.portal ?? '')).toBe('200 text/html');
    expect(await opened(links.openapi ?? '')).toBe('200 application/json');
    expect(await opened(links.event_types ?? '')).toBe('200 application/json');
    expect(await opened(links.compatible_openapi ?? '')).toBe('200 application/json');
  });

  it('gives a browser the same JSON (the portal opens only from a link an API key makes)', async () => {
    const response = await fetch(`${sandbox.endpoint}/`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      redirect: 'manual',
    });

    expect(response.status).toBe(200);
    expect(((await response.json()) as { portal: string }).portal).toBe(`${sandbox.endpoint}/portal/`);
  });

  it('refuses HEAD as every route of the API does (the router takes no HEAD): 405, Allow: GET', async () => {
    const response = await fetch(`${sandbox.endpoint}/`, { method: 'HEAD' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});
