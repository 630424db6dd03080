import { type AccountId, type DeviceId, UsageEntry, type ViewKeys } from '@ccsync/contracts';
import type { Redis } from '@ccsync/service-kit';

const CHUNK = 10_000;

/**
 * The copies of an account's messages that count, in the order ccusage reads them: device
 * directory by device directory, file by file, line by line, each message at its first copy's
 * place. The reports order them further as ccusage does (blocks by time, stably).
 */
export async function readCountedEntries(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  device?: DeviceId,
): Promise<UsageEntry[]> {
  let members = await redis.zrange(keys.countedByTime(account), '0', '-1');
  if (device !== undefined) members = members.filter((member) => member.startsWith(`${device}:`));
  type Copy = {
    device: string;
    entry: UsageEntry;
    first?: { device: string; file?: string; offset?: number; part?: number };
  };
  const copies: Copy[] = [];
  for (let start = 0; start < members.length; start += CHUNK) {
    const values = await redis.hmget(keys.counted(account), ...members.slice(start, start + CHUNK));
    for (const value of values) {
      if (value === null) continue;
      const copy = JSON.parse(value) as Omit<Copy, 'entry'> & { entry: unknown };
      const entry = UsageEntry.safeParse(copy.entry);
      if (entry.success) copies.push({ ...copy, entry: entry.data });
    }
  }
  // A message keeps the read position of its first copy, as in ccusage; an advisor iteration
  // comes after its line's message.
  const order = ({ entry, device, first }: Copy) => {
    const position = first ?? { device, file: entry.file, offset: entry.offset, part: entry.part };
    return [
      position.device,
      position.file ?? '',
      String(position.offset ?? 0).padStart(16, '0'),
      String(position.part ?? 0).padStart(4, '0'),
    ] as const;
  };
  copies.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    for (let index = 0; index < x.length; index++) {
      if (x[index] !== y[index]) return (x[index] as string) < (y[index] as string) ? -1 : 1;
    }
    return 0;
  });
  return copies.map((copy) => copy.entry);
}
