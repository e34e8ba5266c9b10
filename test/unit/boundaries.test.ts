import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

const importsOf = (file: string) =>
  [...readFileSync(join(root, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map(
    (m) => m[1] ?? '',
  );

describe('layout boundaries', () => {
  it('product code (functions/, lib/) never imports the sandbox (sandbox/)', () => {
    const offending = [...sourceFiles('functions'), ...sourceFiles('lib')].flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('#sandbox/') || /(^|\/)sandbox\//.test(target))
        .map((target) => `${file} -> ${target}`),
    );

    expect(sourceFiles('functions').length).toBeGreaterThan(10);
    expect(offending).toEqual([]);
  });

  it('Lambda code never imports the whole zod namespace, which drags every locale into a bundle', () => {
    const offending = sourceFiles('functions').filter((file) =>
      /import\s*(\*\s*as\s*z|\{[^}]*\bz\b[^}]*\})\s*from\s*'zod'/.test(
        readFileSync(join(root, file), 'utf8'),
      ),
    );

    expect(offending).toEqual([]);
  });
});
