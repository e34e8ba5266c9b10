/**
 * Durable storage of the SQS state in a directory: `snapshot.json` (the state at one journal position) and
 * `journal.jsonl` (one JSON line per accepted request after it: `{"seq":n,"changes":[...]}`), appended
 * synchronously before the request is answered. Compaction writes a new snapshot to a temporary file, renames
 * it over the old one and empties the journal; lines at or below the snapshot's `seq` are skipped on replay, so
 * a crash between the two steps loses nothing and applies nothing twice.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Change, Snapshot } from './state.ts';

/** Options of {@link Journal.open}. */
export interface JournalOptions {
  /** Directory holding the files; created if missing. */
  readonly dir: string;
  /**
   * `true`: `fdatasync` after every append, before it returns, so that an accepted change survives a machine
   * crash too. `'batched'`: every append is written at once (so it survives the process crashing), and one
   * `fdatasync` off the event loop covers the appends made while the previous one ran, so a machine crash may
   * lose the last few milliseconds. `false`: never. @default true
   */
  readonly fsync?: boolean | 'batched';
  /** Journal size after which {@link Journal.needsCompaction} turns true. @default 4 MiB */
  readonly compactAfterBytes?: number;
}

/** What {@link Journal.open} found on disk. */
export interface JournalContents {
  readonly snapshot: Snapshot | undefined;
  /** Journal records after the snapshot, in order; each is the changes of one request. */
  readonly records: ReadonlyArray<readonly Change[]>;
}

interface JournalLine {
  readonly seq: number;
  readonly changes: readonly Change[];
}

const SNAPSHOT = 'snapshot.json';
const JOURNAL = 'journal.jsonl';

export class Journal {
  readonly #dir: string;
  readonly #fsync: boolean | 'batched';
  readonly #compactAfterBytes: number;
  #fd: number | undefined;
  #seq: number;
  #bytes: number;
  /** A batched `fdatasync` is running; `#unsynced`: appends were made since it started. */
  #syncing = false;
  #unsynced = false;

  private constructor(options: JournalOptions, fd: number, seq: number, bytes: number) {
    this.#dir = options.dir;
    this.#fsync = options.fsync ?? true;
    this.#compactAfterBytes = options.compactAfterBytes ?? 4 * 1024 * 1024;
    this.#fd = fd;
    this.#seq = seq;
    this.#bytes = bytes;
  }

  /** Opens (or creates) the store in `options.dir` and reads what it holds. */
  static open(options: JournalOptions): { journal: Journal; contents: JournalContents } {
    mkdirSync(options.dir, { recursive: true });
    rmSync(join(options.dir, `${SNAPSHOT}.tmp`), { force: true });
    const snapshotPath = join(options.dir, SNAPSHOT);
    const snapshot = existsSync(snapshotPath)
      ? (JSON.parse(readFileSync(snapshotPath, 'utf8')) as Snapshot)
      : undefined;
    if (snapshot !== undefined && snapshot.version !== 1) {
      throw new Error(`Unsupported SQS snapshot version ${String(snapshot.version)} in ${snapshotPath}`);
    }
    const journalPath = join(options.dir, JOURNAL);
    const { lines, validBytes } = existsSync(journalPath)
      ? readLines(readFileSync(journalPath), journalPath)
      : { lines: [], validBytes: 0 };
    const fd = openSync(journalPath, 'a');
    // A torn last line (crash mid-append) was never acknowledged: cut it off before appending after it.
    if (fstatSync(fd).size > validBytes) ftruncateSync(fd, validBytes);
    const snapshotSeq = snapshot?.seq ?? 0;
    const records = lines.filter((line) => line.seq > snapshotSeq).map((line) => line.changes);
    const seq = lines.reduce((max, line) => Math.max(max, line.seq), snapshotSeq);
    return { journal: new Journal(options, fd, seq, validBytes), contents: { snapshot, records } };
  }

  /** Sequence number of the last record written. */
  get seq(): number {
    return this.#seq;
  }

  /** Whether the journal has grown past its compaction threshold. */
  get needsCompaction(): boolean {
    return this.#bytes >= this.#compactAfterBytes;
  }

  /** Durably records the changes of one request, as one line. */
  append(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    const fd = this.#openFd();
    const line: JournalLine = { seq: this.#seq + 1, changes };
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    if (this.#fsync === true) fdatasyncSync(fd);
    else if (this.#fsync === 'batched') this.#syncSoon(fd);
    this.#seq = line.seq;
    this.#bytes += bytes.length;
  }

  /** Replaces snapshot and journal with `snapshot`, which must hold the state as of {@link seq}. */
  compact(snapshot: Snapshot): void {
    const fd = this.#openFd();
    const path = join(this.#dir, SNAPSHOT);
    const temp = `${path}.tmp`;
    const tempFd = openSync(temp, 'w');
    try {
      const bytes = Buffer.from(JSON.stringify(snapshot), 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(tempFd, bytes, written, bytes.length - written);
      fsyncSync(tempFd);
    } finally {
      closeSync(tempFd);
    }
    renameSync(temp, path);
    syncDirectory(this.#dir);
    ftruncateSync(fd, 0);
    if (this.#fsync) fsyncSync(fd);
    this.#bytes = 0;
  }

  close(): void {
    if (this.#fd === undefined) return;
    if (this.#fsync === 'batched') fdatasyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** One `fdatasync` in the thread pool for every append until it starts; another if appends came meanwhile. */
  #syncSoon(fd: number): void {
    if (this.#syncing) {
      this.#unsynced = true;
      return;
    }
    this.#syncing = true;
    this.#unsynced = false;
    fdatasync(fd, () => {
      // An error (the journal closed meanwhile, which synced it) leaves nothing to do.
      this.#syncing = false;
      if (this.#unsynced && this.#fd === fd) this.#syncSoon(fd);
    });
  }

  #openFd(): number {
    if (this.#fd === undefined) throw new Error('The SQS journal is closed');
    return this.#fd;
  }
}

function readLines(data: Buffer, path: string): { lines: JournalLine[]; validBytes: number } {
  const lines: JournalLine[] = [];
  let start = 0;
  let validBytes = 0;
  while (start < data.length) {
    const end = data.indexOf(0x0a, start);
    // Only a line that does not parse asks whether anything follows it: asking for every line read the rest
    // of the journal each time (a restart after a kill took seconds for a few thousand lines).
    const isLast = () => end === -1 || onlyWhitespace(data, end + 1);
    const text = data.subarray(start, end === -1 ? data.length : end).toString('utf8');
    if (text.trim() !== '') {
      let line: JournalLine | undefined;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch {
        line = undefined;
      }
      if (line === undefined || end === -1 || typeof line.seq !== 'number' || !Array.isArray(line.changes)) {
        if (isLast()) break;
        throw new Error(`Corrupt SQS journal ${path} at byte ${start}`);
      }
      lines.push(line);
    }
    if (end === -1) break;
    start = end + 1;
    validBytes = start;
  }
  return { lines, validBytes };
}

/** Whether the bytes from `start` on are only spaces, tabs and line ends. */
function onlyWhitespace(data: Buffer, start: number): boolean {
  for (let i = start; i < data.length; i++) {
    const byte = data[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  }
  return true;
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
