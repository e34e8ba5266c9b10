import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { problems } from '#core/http/problem.ts';
import type { ApiAnswer, Route } from './api-request.ts';

/** A file of the built portal. */
export interface PortalFile {
  readonly contentType: string;
  readonly body: string;
}

/** The built portal: its page and its hashed files, by name. */
export interface PortalFiles {
  readonly index: PortalFile;
  readonly assets: ReadonlyMap<string, PortalFile>;
}

/** Names the portal's build gives its files: `<name>-<hash>.<ext>`, and nothing else is served. */
export const portalAssetName = /^[A-Za-z0-9_-]{1,64}\.(js|css|svg)$/;
const contentTypes: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * The portal's files from the first of `directories` that holds a build (`index.html` and `assets/`): in the
 * deployed bundle a `portal/` folder next to the handler, in a checkout `portal/dist/`. Read once, on the first
 * request that needs them, and kept; a directory without a build is looked at again next time.
 */
export function portalFilesFrom(directories: readonly string[]): () => Promise<PortalFiles | undefined> {
  let loaded: Promise<PortalFiles | undefined> | undefined;
  const load = async () => {
    for (const directory of directories) {
      const index = await readFile(join(directory, 'index.html'), 'utf8').catch(() => undefined);
      if (index === undefined) continue;
      const assets = new Map<string, PortalFile>();
      const names = await readdir(join(directory, 'assets')).catch(() => []);
      for (const name of names) {
        const extension = portalAssetName.exec(name)?.[1];
        if (extension === undefined) continue;
        const body = await readFile(join(directory, 'assets', name), 'utf8');
        assets.set(name, { contentType: contentTypes[extension] ?? 'application/octet-stream', body });
      }
      return { index: { contentType: 'text/html; charset=utf-8', body: index }, assets };
    }
    return undefined;
  };
  return async () => {
    loaded ??= load();
    const files = await loaded;
    if (files === undefined) loaded = undefined;
    return files;
  };
}

/**
 * What the portal's answers carry. The page runs only its own files (no inline script or style, nothing from
 * elsewhere) and talks only to this origin; nothing it loads is sniffed into another type; it sends no
 * `Referer`. It may be framed, so that an operator can embed it in a dashboard: it holds no ambient authority
 * (no cookies; the token is in the link), so a page that frames it without a link gets only the expiry page.
 */
export const portalSecurityHeaders = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    'frame-ancestors *',
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
} as const;

const notBuilt = () =>
  problems.notFound(
    'The portal is not part of this deployment: its files were not found (npm run build:portal makes them)',
  );

const answer = (file: PortalFile, cacheControl: string): ApiAnswer => ({
  statusCode: 200,
  headers: { 'content-type': file.contentType, 'cache-control': cacheControl, ...portalSecurityHeaders },
  body: file.body,
});

/**
 * The portal: its page at `/portal/` (never cached, so a new deployment is picked up at once) and its files
 * at `/portal/assets/<name>-<hash>.<ext>` (cached for a year: a changed file gets a new name). Public: the
 * page holds nothing of an account; its token comes in the link's fragment.
 */
export function portalPageRoutes(files: () => Promise<PortalFiles | undefined>): Route[] {
  return [
    {
      method: 'GET',
      path: '/portal/',
      public: true,
      handler: async () => {
        const portal = await files();
        if (portal === undefined) throw notBuilt();
        return answer(portal.index, 'no-store');
      },
    },
    {
      method: 'GET',
      path: '/portal/assets/{name}',
      public: true,
      handler: async (request) => {
        const name = request.params.name ?? '';
        const portal = await files();
        if (portal === undefined) throw notBuilt();
        const file = portalAssetName.test(name) ? portal.assets.get(name) : undefined;
        if (file === undefined) throw problems.notFound(`The portal has no file ${name.slice(0, 100)}`);
        return answer(file, 'public, max-age=31536000, immutable');
      },
    },
  ];
}
