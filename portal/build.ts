/**
 * Builds the portal (portal/src) into a folder the API function serves: `index.html` and `assets/` with
 * content-hashed names. `npm run build:portal` builds into portal/dist/; the sandbox builds it when it starts;
 * the CDK app builds it next to the API function's bundle (`--out-dir <bundle>/portal`).
 * `npm run build:portal -- --help` says how.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { parseOptions } from '../bin/cli.ts';

const portalRoot = dirname(fileURLToPath(import.meta.url));

/** Where `npm run build:portal` and the sandbox put the portal. */
export const defaultPortalOutDir = join(portalRoot, 'dist');

/** The browsers the bundle is written for: those of the last few years (ES2022, native dialog). */
const browserTargets = ['chrome111', 'firefox111', 'safari16.4', 'edge111'];

const page = (files: { script: string; styles: string; icon: string }) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <meta name="color-scheme" content="light">
    <title>Webhooks portal</title>
    <link rel="icon" type="image/svg+xml" href="${files.icon}">
    <link rel="stylesheet" href="${files.styles}">
    <script type="module" src="${files.script}"></script>
  </head>
  <body>
    <noscript><p>The webhooks portal needs JavaScript.</p></noscript>
    <div id="app"></div>
  </body>
</html>
`;

/** Writes a file under a temporary name, then renames it: a reader never sees half a file. */
async function writeAtomically(path: string, contents: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

/**
 * Bundles portal/src/main.tsx (with its CSS and icon) for browsers, minified, and writes it to `outDir`.
 * Files of earlier builds that this one does not have are removed. Several builds of the same sources may
 * run at once (tests start several sandboxes): they write the same names, each file whole.
 */
export async function buildPortal(outDir: string = defaultPortalOutDir): Promise<{ files: string[] }> {
  const assetsDir = join(outDir, 'assets');
  const publicPath = '/portal/assets';
  const result = await build({
    absWorkingDir: portalRoot,
    entryPoints: { main: join(portalRoot, 'src', 'main.tsx') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: browserTargets,
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.svg': 'file' },
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    outdir: assetsDir,
    publicPath,
    metafile: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const names = result.outputFiles.map((file) => basename(file.path));
  const named = (extension: string) => {
    const name = names.find((candidate) => candidate.endsWith(extension));
    if (name === undefined) throw new Error(`The portal's build made no ${extension} file`);
    return `${publicPath}/${name}`;
  };
  const html = page({ script: named('.js'), styles: named('.css'), icon: named('.svg') });

  await mkdir(assetsDir, { recursive: true });
  for (const file of result.outputFiles) await writeAtomically(file.path, file.contents);
  await writeAtomically(join(outDir, 'index.html'), html);
  for (const stale of (await readdir(assetsDir)).filter((name) => !names.includes(name))) {
    if (!stale.endsWith('.tmp')) await rm(join(assetsDir, stale), { force: true });
  }
  return { files: ['index.html', ...names.map((name) => `assets/${name}`)] };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const usage = `Usage: npm run build:portal -- [options]
Builds the portal (portal/src) into index.html and assets/, as npm start does when it starts.
  --out-dir DIR   where to write it (default portal/dist)
  -h, --help      this text`;
  const values = parseOptions({ 'out-dir': { type: 'string' } }, usage);
  const outDir = resolve(values['out-dir'] ?? defaultPortalOutDir);
  const { files } = await buildPortal(outDir);
  console.log(`Portal built in ${outDir}: ${files.join(', ')}`);
}
