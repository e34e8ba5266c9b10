import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Where the browser tests put their screenshots (gitignored). */
export const screenshotDir = join(projectRoot, 'test-output', 'portal');

let axeSource: string | undefined;

/** A violation axe-core found, in a line a person can act on. */
export interface Violation {
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core (from node_modules, never a CDN) on the page as it is now and returns its serious and critical
 * violations. It is evaluated over the DevTools protocol, which the page's Content-Security-Policy does not
 * govern, so the page keeps its real policy while it is checked.
 */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  axeSource ??= await readFile(join(projectRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  const loaded = await page.evaluate<boolean>("typeof globalThis.axe !== 'undefined'");
  if (!loaded) await page.evaluate(axeSource);
  // A string, evaluated in the page: the tests are compiled without DOM types.
  const violations = await page.evaluate<Violation[]>(`(async () => {
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? '',
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  })()`);
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** A full-page screenshot under {@link screenshotDir}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
