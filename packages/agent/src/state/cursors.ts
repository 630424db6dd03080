import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';

/**
 * How far a transcript has been read. The inode and the hash of the file's first bytes tell an
 * appended file (read on from `offset`) from a rewritten or truncated one (read again from 0).
 */
export const DeviceCursor = z.object({
  dev: z.number(),
  ino: z.number(),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
  offset: z.number().int().nonnegative(),
  /** sha256 of the first min(offset, HEAD_BYTES) bytes. */
  head: z.string(),
});
export type DeviceCursor = z.infer<typeof DeviceCursor>;

const CursorFile = z.object({ version: z.literal(1), files: z.record(z.string(), DeviceCursor) });

const HEAD_BYTES = 4096;

function headHash(path: string, length: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(length, HEAD_BYTES));
    const bytesRead = readSync(fd, buffer, 0, buffer.length, 0);
    return createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('base64url');
  } finally {
    closeSync(fd);
  }
}

/** The file as it was seen before reading it. */
export interface FileSnapshot {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What to do with a file now: skip it, or read it from an offset. */
export type ReadPlan =
  | { readonly unchanged: true }
  | { readonly unchanged: false; readonly from: number; readonly snapshot: FileSnapshot };

export class CursorStore {
  readonly #path: string;
  readonly #files: Map<string, DeviceCursor>;

  private constructor(path: string, files: Map<string, DeviceCursor>) {
    this.#path = path;
    this.#files = files;
  }

  static async load(stateDir: string): Promise<CursorStore> {
    const path = join(stateDir, 'cursors.json');
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    const parsed = text === undefined ? undefined : CursorFile.safeParse(JSON.parse(text));
    // An unreadable cursor file only costs a full re-read: the server de-duplicates what is resent.
    return new CursorStore(path, new Map(parsed?.success ? Object.entries(parsed.data.files) : []));
  }

  get size(): number {
    return this.#files.size;
  }

  /** The total of bytes already read, for `status`. */
  get bytesRead(): number {
    let total = 0;
    for (const cursor of this.#files.values()) total += cursor.offset;
    return total;
  }

  /** Synchronous: a warm run stats thousands of unchanged files, and round trips would dominate. */
  plan(path: string): ReadPlan {
    const { dev, ino, size, mtimeMs } = statSync(path);
    const snapshot = { dev, ino, size, mtimeMs };
    const cursor = this.#files.get(path);
    if (cursor === undefined) return { unchanged: false, from: 0, snapshot };
    const sameFile = cursor.dev === dev && cursor.ino === ino;
    if (sameFile && cursor.size === size && cursor.mtimeMs === mtimeMs) return { unchanged: true };
    const appended = sameFile && size >= cursor.offset && headHash(path, cursor.offset) === cursor.head;
    return { unchanged: false, from: appended ? cursor.offset : 0, snapshot };
  }

  /**
   * Records that everything before `offset` has been acknowledged or spooled. The snapshot is the
   * one taken before reading: if the file grew meanwhile, its size no longer matches and the next
   * run reads on.
   */
  advance(path: string, offset: number, snapshot: FileSnapshot): void {
    this.#files.set(path, { ...snapshot, offset, head: headHash(path, offset) });
  }

  async save(): Promise<void> {
    const files = Object.fromEntries(this.#files);
    // Atomic but not fsynced: a cursor lost to a power cut only means re-reading, which is safe.
    await writeFileAtomic(this.#path, `${JSON.stringify({ version: 1, files })}\n`, { mode: 0o600, fsync: false });
  }
}
