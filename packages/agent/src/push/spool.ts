import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PushUsageRequest } from '@ccsync/contracts';
import writeFileAtomic from 'write-file-atomic';

/**
 * Batches the server could not take, kept on disk until it can. Files are named by time and
 * content, so they are retried in the order they were written, and spooling the same batch twice
 * keeps one file.
 */
export class Spool {
  readonly #dir: string;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'spool');
  }

  async add(batch: PushUsageRequest): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const body = JSON.stringify(batch);
    const digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
    const name = `${Date.now().toString().padStart(15, '0')}-${digest}.json`;
    // Atomic and fsynced: a spooled batch is as safe as an acknowledged one, so cursors may move on.
    await writeFileAtomic(join(this.#dir, name), body, { mode: 0o600, fsync: true });
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    return names.filter((name) => name.endsWith('.json')).sort();
  }

  async #parse(name: string): Promise<PushUsageRequest | undefined> {
    try {
      const parsed = PushUsageRequest.safeParse(JSON.parse(await readFile(join(this.#dir, name), 'utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** The batch in a spool file, or undefined for a file that is not one, which is set aside. */
  async read(name: string): Promise<PushUsageRequest | undefined> {
    const batch = await this.#parse(name);
    if (batch !== undefined) return batch;
    // Never delete what might be usage: keep it where a person can look at it.
    await mkdir(join(this.#dir, 'unreadable'), { recursive: true, mode: 0o700 });
    await rename(join(this.#dir, name), join(this.#dir, 'unreadable', name));
    return undefined;
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.#dir, name), { force: true });
  }

  /** How many batches and entries wait, for `status`. */
  async summary(): Promise<{ batches: number; entries: number }> {
    const names = await this.list();
    let entries = 0;
    for (const name of names) entries += (await this.#parse(name))?.entries.length ?? 0;
    return { batches: names.length, entries };
  }
}
