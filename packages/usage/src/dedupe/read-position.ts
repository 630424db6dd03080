import type { DeviceId, UsageEntry } from '@ccsync/contracts';

/** Where a copy was read: ccusage orders entries, and breaks ties, by this. */
export interface ReadPosition {
  readonly device: DeviceId;
  readonly file?: string;
  readonly offset?: number;
  /** An advisor iteration comes after its line's message. */
  readonly part?: number;
}

/**
 * The copy of a message that counts, the device it came from, and, once a later copy replaced the
 * first, the first copy's position: like ccusage, a message keeps the place of its first copy.
 */
export interface CountedCopy {
  readonly device: DeviceId;
  readonly entry: UsageEntry;
  readonly first?: ReadPosition;
}

/**
 * ccusage's read order over several devices' directories: device by device, then files by path
 * (bytewise), then lines.
 */
export function comparePositions(a: ReadPosition, b: ReadPosition): number {
  if (a.device !== b.device) return a.device < b.device ? -1 : 1;
  const [fileA, fileB] = [a.file ?? '', b.file ?? ''];
  if (fileA !== fileB) return Buffer.compare(Buffer.from(fileA), Buffer.from(fileB));
  return (a.offset ?? 0) - (b.offset ?? 0) || (a.part ?? 0) - (b.part ?? 0);
}

/** The position a counted copy is ordered by. */
export function positionOf(copy: CountedCopy): ReadPosition {
  if (copy.first !== undefined) return copy.first;
  const { file, offset, part } = copy.entry;
  return {
    device: copy.device,
    ...(file === undefined ? {} : { file }),
    ...(offset === undefined ? {} : { offset }),
    ...(part === undefined ? {} : { part }),
  };
}
