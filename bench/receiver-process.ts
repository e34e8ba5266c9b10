/**
 * Webhook receivers on loopback in a process of their own, so that their work does not share the event loop
 * (or the core) of what is measured. They answer 204 at once and note when each webhook first arrived: the
 * path it came to and its body's `data.id`. The parent drives them over IPC: see {@link startReceivers}.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { now } from './stats.ts';

type Request =
  | { readonly id: number; readonly type: 'count' }
  | { readonly id: number; readonly type: 'collect' }
  | { readonly id: number; readonly type: 'reset' };

/** One first arrival: the path, the body's `data.id`, and when (epoch ms). */
export type Arrival = readonly [path: string, dataId: string, at: number];

/** The receivers as the parent sees them. */
export interface Receivers {
  /** `http://127.0.0.1:<port>`; any path is a receiver of its own. */
  readonly origin: string;
  /** How many distinct (path, data.id) have arrived since the last reset. */
  count(): Promise<number>;
  /** Every first arrival since the last reset. */
  collect(): Promise<Arrival[]>;
  reset(): Promise<void>;
  close(): void;
}

/** Forks the receiver process and answers once it listens. */
export async function startReceivers(): Promise<Receivers> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [port] = (await once(child, 'message')) as [number];
  let next = 0;
  const pending = new Map<number, (value: unknown) => void>();
  child.on('message', (message: { id: number; value: unknown }) => {
    pending.get(message.id)?.(message.value);
    pending.delete(message.id);
  });
  const ask = <T>(type: Request['type']) =>
    new Promise<T>((resolve) => {
      const id = next++;
      pending.set(id, resolve as (value: unknown) => void);
      child.send({ id, type });
    });
  const exit = () => child.kill();
  process.once('exit', exit);
  return {
    origin: `http://127.0.0.1:${port}`,
    count: () => ask<number>('count'),
    collect: () => ask<Arrival[]>('collect'),
    reset: () => ask<void>('reset'),
    close: () => {
      process.off('exit', exit);
      child.kill();
    },
  };
}

if (process.argv.includes('--serve')) {
  let arrivals = new Map<string, Arrival>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = now();
      res.writeHead(204).end();
      let dataId = '';
      try {
        dataId = String(
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { id?: unknown } }).data?.id,
        );
      } catch {
        dataId = '?';
      }
      const key = `${req.url} ${dataId}`;
      if (!arrivals.has(key)) arrivals.set(key, [req.url ?? '', dataId, at]);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
  process.on('message', (request: Request) => {
    if (request.type === 'count') process.send?.({ id: request.id, value: arrivals.size });
    else if (request.type === 'collect') process.send?.({ id: request.id, value: [...arrivals.values()] });
    else {
      arrivals = new Map();
      process.send?.({ id: request.id, value: undefined });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
