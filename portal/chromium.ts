/**
 * Headless Chromium for the portal's browser tests and its screenshot: Debian's `chromium` package driven by
 * playwright-core (Playwright's own browser download is not reachable from here, and not needed).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Thrown when no Chromium is installed: it says how to install one, and the tests fail with it. */
export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissing';
}

/** The Chromium executable: `$CHROMIUM_PATH`, else `chromium` on the PATH. */
export function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH;
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new ChromiumMissingError(`CHROMIUM_PATH=${given} does not exist`);
    return given;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new ChromiumMissingError(
      'Chromium is not installed, and the browser tests need it: run `apt-get install -y chromium` (as .ci/run does), or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
}

/** Flags for a quiet, headless Chromium that reaches nothing but the pages it is sent to. */
const launchArgs = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: launchArgs, headless: true });
}
