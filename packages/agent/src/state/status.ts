import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';

/** What the last push did, for `ccsync status`. */
export const PushStatus = z.object({
  at: z.iso.datetime(),
  device: z.string(),
  entriesRead: z.number().int().nonnegative(),
  entriesAcknowledged: z.number().int().nonnegative(),
  entriesSpooled: z.number().int().nonnegative(),
  lastSeq: z.number().int().positive().nullable(),
  error: z.string().nullable(),
});
export type PushStatus = z.infer<typeof PushStatus>;

const statusFile = (stateDir: string) => join(stateDir, 'last-push.json');

export async function readPushStatus(stateDir: string): Promise<PushStatus | undefined> {
  const text = await readFile(statusFile(stateDir), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = PushStatus.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function writePushStatus(stateDir: string, status: PushStatus): Promise<void> {
  await writeFileAtomic(statusFile(stateDir), `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600, fsync: false });
}
