import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A sandbox started as a user starts it, `bin/sandbox.ts` in a process of its own. */
export interface SandboxProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
  readonly apiKey: string;
  readonly eventBus: string;
  /** Every line it printed so far. */
  readonly output: string[];
  /** Resolves with the first printed line that contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<string>;
  /** Kills it at once, as a crash would, and waits for it to exit. */
  kill(): Promise<void>;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * Starts `bin/sandbox.ts` with `args` and waits (at most `startTimeoutMs`) until it prints its endpoint, API
 * key and event bus; a sandbox that does not get there is killed.
 */
export async function startSandboxProcess(args: string[], startTimeoutMs = 30_000): Promise<SandboxProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/sandbox.ts', ...args], {
    cwd: projectRoot,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      output.push(line);
      for (const listener of [...listeners]) listener(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const waitForOutput = (text: string, timeoutMs = 30_000) => {
    const seen = output.find((line) => line.includes(text));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`The sandbox did not print "${text}". Output:\n${output.join('\n')}`));
      }, timeoutMs);
      const listener = (line: string) => {
        if (!line.includes(text)) return;
        clearTimeout(timer);
        listeners.splice(listeners.indexOf(listener), 1);
        resolve(line);
      };
      listeners.push(listener);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`The sandbox exited with ${code}. Output:\n${output.join('\n')}`));
      });
    });
  };

  const printed = async (label: string) =>
    (await waitForOutput(`${label}: `, startTimeoutMs)).split(`${label}: `)[1]?.trim() ?? '';
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  let endpoint: string;
  let apiKey: string;
  let eventBus: string;
  try {
    endpoint = await printed('Endpoint');
    apiKey = await printed('API key');
    eventBus = await printed('Event bus');
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    child,
    endpoint,
    apiKey,
    eventBus,
    output,
    waitForOutput,
    kill,
  };
}

/**
 * Sandboxes started as processes for one test file, killed after it, with a data directory of their own
 * (removed after it) so that a restart finds the state a crash left.
 */
export function useSandboxProcesses(prefix: string) {
  const started: SandboxProcess[] = [];
  let dataDir: string | undefined;
  afterAll(async () => {
    await Promise.all(started.map((sandbox) => sandbox.kill()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return {
    /** The arguments of a sandbox on a free port with the file's data directory. */
    async args(...extra: string[]): Promise<string[]> {
      dataDir ??= await mkdtemp(join(tmpdir(), prefix));
      return ['--port', String(await freePort()), '--data-dir', dataDir, ...extra];
    },
    /** Starts one; `startTimeoutMs` bounds the wait for its endpoint (a restart replays what a crash left). */
    async start(args: string[], startTimeoutMs?: number): Promise<SandboxProcess> {
      const sandbox = await startSandboxProcess(args, startTimeoutMs);
      started.push(sandbox);
      return sandbox;
    },
  };
}
