/**
 * One workspace folder's checklist file on disk. No `vscode` import (node unit tests cover it).
 *
 * - Reads never write. A missing file is an empty checklist; it is created on the first change.
 * - A corrupt (unparsable or schema-invalid), newer-version or unreadable file is NEVER overwritten: changes are
 *   refused with a `ChecklistFileError` until the user backs it up and resets it (`backupAndReset`).
 * - Every change re-reads the file right before writing and applies only that change (merge by item), so edits
 *   made by another window or by `git pull` in the meantime are kept. Unknown item ids are kept.
 * - Writes are atomic: a temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import {
  applyChange,
  emptyState,
  parseState,
  resetKnownItems,
  serializeState,
  type ChecklistState,
  type ItemChange,
} from './state';

export type StoreSnapshot =
  | { kind: 'ok'; state: ChecklistState; /** false until the file exists on disk */ exists: boolean }
  | { kind: 'corrupt'; message: string }
  | { kind: 'newer'; version: number; message: string }
  | { kind: 'unreadable'; message: string };

/** A change was refused because the file cannot be safely rewritten. */
export class ChecklistFileError extends Error {
  constructor(readonly snapshot: Exclude<StoreSnapshot, { kind: 'ok' }>, readonly filePath: string) {
    super(`${path.basename(filePath)}: ${snapshot.message}`);
    this.name = 'ChecklistFileError';
  }
}

let tempCounter = 0;

/** Writes `content` to `filePath` atomically: readers see the old or the new content, never a mix. */
export async function writeFileAtomic(filePath: string, content: string): Promise<void> {
  const dir = path.dirname(filePath);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${++tempCounter}.${randomBytes(4).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', 0o644);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, filePath);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  // Make the rename itself durable. Not supported everywhere (Windows): best effort.
  try {
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    /* directory fsync unsupported */
  }
}

const LOCK_STALE_MS = 10_000;
const STALE_TEMP_MS = 60_000;
const LOCK_WAIT_MS = 5_000;

/**
 * A short advisory lock (`<file>.lock`, created exclusively) around a read-modify-write. A lock older than
 * ten seconds is left over from a crashed writer and is taken over. Waits at most five seconds, then writes anyway
 * (the re-read before the write still merges by item).
 */
export async function withFileLock<T>(lockPath: string, task: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let held = false;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  while (!held) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(String(process.pid)).finally(() => handle.close());
      held = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') break;
      try {
        const stat = await fs.stat(lockPath);
        if (Date.now() - stat.mtimeMs > LOCK_STALE_MS) {
          await fs.unlink(lockPath).catch(() => undefined);
          continue;
        }
      } catch {
        continue; // released meanwhile
      }
      if (Date.now() - started > LOCK_WAIT_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20));
    }
  }
  try {
    return await task();
  } finally {
    if (held) await fs.unlink(lockPath).catch(() => undefined);
  }
}

/** `2026-11-25T04:07:58.123Z` → `20261125T040758Z` (safe in file names on every OS). */
export function backupTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export interface StoreOptions {
  /** Who makes changes (git user name or OS user); resolved once per change. */
  author?: () => Promise<string | undefined> | string | undefined;
  now?: () => Date;
}

export class ChecklistStore {
  private snapshotValue: StoreSnapshot | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(snapshot: StoreSnapshot) => void>();
  private lastText: string | undefined | null = null;

  constructor(readonly filePath: string, private readonly options: StoreOptions = {}) {}

  /** The last snapshot read or written; undefined before the first `load()`. */
  get snapshot(): StoreSnapshot | undefined {
    return this.snapshotValue;
  }

  onDidChange(listener: (snapshot: StoreSnapshot) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Re-reads the file (on start and when it changed on disk). Emits a change when the content differs. */
  load(): Promise<StoreSnapshot> {
    return this.enqueue(async () => {
      await this.removeStaleTempFiles();
      return this.publish(...(await this.read()));
    });
  }

  /** Temp files of writers that died mid-save (older than a minute: no live write takes that long). */
  private async removeStaleTempFiles(): Promise<void> {
    const dir = path.dirname(this.filePath);
    const prefix = `.${path.basename(this.filePath)}.`;
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const full = path.join(dir, name);
      try {
        if (Date.now() - (await fs.stat(full)).mtimeMs > STALE_TEMP_MS) await fs.unlink(full);
      } catch {
        /* gone meanwhile */
      }
    }
  }

  /** Applies one change to one item, merged into what is on disk right now. */
  update(id: string, change: ItemChange): Promise<ChecklistState> {
    return this.enqueueLocked(async () => {
      const [snapshot, text] = await this.read();
      if (snapshot.kind !== 'ok') {
        this.publish(snapshot, text);
        throw new ChecklistFileError(snapshot, this.filePath);
      }
      const author = { updatedBy: await this.author(), updatedAt: this.now().toISOString() };
      const next = applyChange(snapshot.state, id, change, author);
      return this.write(next);
    });
  }

  /** Clears every item (ids this version does not know are kept). Refused for a corrupt or newer file. */
  reset(): Promise<ChecklistState> {
    return this.enqueueLocked(async () => {
      const [snapshot, text] = await this.read();
      if (snapshot.kind !== 'ok') {
        this.publish(snapshot, text);
        throw new ChecklistFileError(snapshot, this.filePath);
      }
      return this.write(resetKnownItems(snapshot.state));
    });
  }

  /**
   * For a file that cannot be used: copies it to `<file>.bak-<timestamp>` (never overwriting an existing backup),
   * then writes a fresh checklist. Returns the backup path (undefined when there was no file).
   */
  backupAndReset(): Promise<string | undefined> {
    return this.enqueueLocked(async () => {
      let backup: string | undefined;
      try {
        await fs.access(this.filePath, fsConstants.F_OK);
        const stamp = backupTimestamp(this.now());
        for (let attempt = 0; ; attempt++) {
          backup = `${this.filePath}.bak-${stamp}${attempt ? `-${attempt}` : ''}`;
          try {
            await fs.copyFile(this.filePath, backup, fsConstants.COPYFILE_EXCL);
            break;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 100) throw error;
          }
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        backup = undefined;
      }
      await this.write(emptyState());
      return backup;
    });
  }

  private async write(state: ChecklistState): Promise<ChecklistState> {
    const text = serializeState(state);
    await writeFileAtomic(this.filePath, text);
    this.publish({ kind: 'ok', state, exists: true }, text);
    return state;
  }

  private async read(): Promise<[StoreSnapshot, string | undefined]> {
    let text: string;
    try {
      text = await fs.readFile(this.filePath, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return [{ kind: 'ok', state: emptyState(), exists: false }, undefined];
      return [{ kind: 'unreadable', message: `cannot read the file: ${(error as Error).message}` }, undefined];
    }
    const parsed = parseState(text);
    if (parsed.kind === 'ok') return [{ kind: 'ok', state: parsed.state, exists: true }, text];
    return [parsed, text];
  }

  private publish(snapshot: StoreSnapshot, text: string | undefined): StoreSnapshot {
    const changed = this.lastText !== text || this.snapshotValue?.kind !== snapshot.kind || (snapshot.kind === 'unreadable');
    this.snapshotValue = snapshot;
    this.lastText = text;
    if (changed) for (const listener of [...this.listeners]) listener(snapshot);
    return snapshot;
  }

  private async author(): Promise<string | undefined> {
    try {
      return (await this.options.author?.()) || undefined;
    } catch {
      return undefined;
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Read-modify-write under the file lock, so another window's change between our read and write is not lost. */
  private enqueueLocked<T>(task: () => Promise<T>): Promise<T> {
    return this.enqueue(() => withFileLock(`${this.filePath}.lock`, task));
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
