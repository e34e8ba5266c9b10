import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Another live sandbox holds the data directory. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims a data directory for this process, so that two sandboxes never write one store (LevelDB would refuse
 * the second with an unhelpful error, and the SQS journal has no lock of its own). A claim left by a process
 * that died is taken over. Resolves with the function that releases the claim.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'sandbox.pid');
  const mine = String(process.pid);
  try {
    await writeFile(file, mine, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number((await readFile(file, 'utf8')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new DataDirInUseError(
        `${dataDir} is in use by another sandbox (process ${holder}); stop it first`,
      );
    }
    await writeFile(file, mine);
  }
  return async () => {
    const holder = await readFile(file, 'utf8').catch(() => '');
    if (holder.trim() === mine) await unlink(file).catch(() => undefined);
  };
}
