import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { portalFilesFrom } from '../../functions/api/portal-page-routes.ts';
import { buildPortal, defaultPortalOutDir } from '../../portal/build.ts';
import { problem, useApiSandbox } from '../support/api-sandbox.ts';

const { sandbox } = useApiSandbox();

const get = (path: string) => fetch(`${sandbox().endpoint}${path}`);

/** The policy every answer of the portal carries, directive by directive. */
const policy = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self'",
  'connect-src': "'self'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': '*',
};
const directives = (header: string | null) =>
  Object.fromEntries(
    (header ?? '').split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values.join(' ')];
    }),
  );

let assets: string[];

beforeAll(async () => {
  await buildPortal();
  assets = await readdir(join(defaultPortalOutDir, 'assets'));
});

describe('GET /portal/', () => {
  it('serves the page: never cached, only its own scripts, no referrer, not sniffed, no key needed', async () => {
    const page = await get('/portal/');
    const html = await page.text();

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(directives(page.headers.get('content-security-policy'))).toEqual(policy);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    // No inline script or style: everything the page runs is a file of its own.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    const referenced = [...html.matchAll(/(?:src|href)="\/portal\/assets\/([^"]+)"/g)].map(
      (match) => match[1],
    );
    expect(referenced.sort()).toEqual(assets.sort());
  });

  it('is the same page at /portal', async () => {
    const [slash, bare] = await Promise.all([get('/portal/'), get('/portal')]);

    expect(bare.status).toBe(200);
    expect(await bare.text()).toBe(await slash.text());
  });
});

describe('GET /portal/assets/{name}', () => {
  it('serves each built file with its type, cached for a year', async () => {
    for (const name of assets) {
      const file = await get(`/portal/assets/${name}`);

      expect(file.status, name).toBe(200);
      expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(file.headers.get('content-type')).toBe(
        { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' }[
          name.split('.').at(-1) ?? ''
        ],
      );
      expect((await file.text()).length).toBeGreaterThan(100);
    }
  });

  it.each([
    '/portal/assets/main-NOTBUILT.js',
    '/portal/assets/..%2Findex.html',
    '/portal/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/portal/assets/index.html',
  ])('answers %s with a 404 problem, never a file outside the build', async (path) => {
    const answer = await get(path);

    expect(answer.status).toBe(404);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await answer.json()).toEqual(problem('not-found', 404));
  });

  it('answers other methods with 405', async () => {
    const answer = await fetch(`${sandbox().endpoint}/portal/`, { method: 'POST' });

    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET');
  });
});

describe('the portal’s files', () => {
  it('are read from the first folder that holds a build, and looked for again while there is none', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'portal-empty-'));
    const later = await mkdtemp(join(tmpdir(), 'portal-later-'));
    const files = portalFilesFrom([empty, later]);

    expect(await files()).toBeUndefined();
    await writeFile(join(later, 'index.html'), '<!doctype html><title>later</title>');
    const found = await files();

    expect(found?.index.body).toContain('later');
    expect(found?.assets.size).toBe(0);
    await Promise.all([rm(empty, { recursive: true }), rm(later, { recursive: true })]);
  });
});
