import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '#sandbox/sqs/journal.ts';
import type { Change } from '#sandbox/sqs/state.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sqs-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const change = (n: number): Change => ({ type: 'purgeQueue', name: `q${n}` });

describe('Journal with batched fsync', () => {
  it('has every append in the file at once, so a process that dies right after loses none', async () => {
    const { journal } = Journal.open({ dir, fsync: 'batched' });
    for (let n = 0; n < 50; n++) journal.append([change(n)]);

    // Read back without closing, as a restart after a crash would.
    const { contents } = Journal.open({ dir, fsync: false });

    expect(contents.records).toEqual(Array.from({ length: 50 }, (_, n) => [change(n)]));
    journal.close();
  });

  it('syncs what is left on close, and appends after a batch started are synced too', async () => {
    const { journal } = Journal.open({ dir, fsync: 'batched' });
    journal.append([change(1)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    journal.append([change(2)]);
    journal.append([change(3)]);
    journal.close();

    const { journal: reopened, contents } = Journal.open({ dir, fsync: 'batched' });

    expect(contents.records).toEqual([[change(1)], [change(2)], [change(3)]]);
    reopened.close();
  });
});
