import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** How an operator's command ended: its exit code and what it printed. */
export interface CliRun {
  readonly code: unknown;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an operator's command (`bin/<script>`, e.g. `keys.ts`) as an operator does, in a process of its own. It
 * sees none of this process's AWS settings (an in-process sandbox puts its own in `process.env`), only those
 * given.
 */
export async function runOperatorCli(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
  );
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', `bin/${script}`, ...args],
      { cwd: projectRoot, env: { ...inherited, ...env }, timeout: 25_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The lines a command printed, without empty ones. */
export const lines = (text: string) => text.split('\n').filter((line) => line !== '');

/** A failure as the CLI must report it: one line on stderr, no stack trace, nothing on stdout. */
export function expectOneLineError(run: CliRun, code: number): string {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  expect(lines(run.stderr)).toHaveLength(1);
  expect(run.stderr.split('\n').filter((line) => line.startsWith('    at '))).toEqual([]);
  return run.stderr.trim();
}
