import { type AccountId, bucketFirstField, type DeviceId, type ViewKeys } from '@ccsync/contracts';
import { hmgetAll, type Redis, slices } from '@ccsync/service-kit';
import { comparePositions, type ReadPosition, type UsageCell } from '@ccsync/usage';

/** A bucket's usage for one device, model and project. */
export interface StoredCell extends UsageCell {
  readonly device: DeviceId;
  readonly project: string;
  /** Where the model first appears in the bucket; the order reports list models in. */
  readonly first: ReadPosition | undefined;
}

export interface CellRange {
  readonly fromMs?: number;
  readonly toMs?: number;
}

const FIELDS = [
  'entries',
  'inputTokens',
  'outputTokens',
  'cacheCreationTokens',
  'cacheReadTokens',
  'costUSD',
  'unpriced',
];
type Field = (typeof FIELDS)[number];

/**
 * An account's usage from the quarter-hour buckets, in ccusage's read order: each cell at the
 * place its model first appears in its bucket. Reads cost one round trip per thousand buckets,
 * however many messages they hold.
 */
export async function readUsageCells(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  { fromMs, toMs }: CellRange = {},
): Promise<StoredCell[]> {
  const starts = (
    await redis.zrangebyscore(keys.bucketIndex(account), fromMs ?? '-inf', toMs === undefined ? '+inf' : `(${toMs}`)
  ).map(Number);
  const cells: Omit<StoredCell, 'first'>[] = [];
  for (const slice of slices(starts)) {
    const pipeline = redis.pipeline();
    for (const start of slice) pipeline.hgetall(keys.bucket(account, start));
    const hashes = (await pipeline.exec()) ?? [];
    slice.forEach((start, index) => {
      const [error, hash] = hashes[index] ?? [];
      if (error) throw error;
      cells.push(...bucketCells(start, hash as Record<string, string>));
    });
  }
  const firstFields = [...new Set(cells.flatMap((cell) => (cell.modelName === undefined ? [] : [firstField(cell)])))];
  const stored = await hmgetAll(redis, keys.bucketFirsts(account), firstFields);
  const firsts = new Map(
    firstFields.map((field, index) => {
      const value = stored[index];
      return [field, value === null || value === undefined ? undefined : (JSON.parse(value) as ReadPosition)];
    }),
  );
  const located = cells.map(
    (cell): StoredCell => ({ ...cell, first: cell.modelName === undefined ? undefined : firsts.get(firstField(cell)) }),
  );
  // Cells without a model are never listed, so their place only decides the order costs are summed in.
  return located.sort((a, b) => {
    if (a.first === undefined || b.first === undefined)
      return a.first === b.first ? a.epochMs - b.epochMs : a.first ? -1 : 1;
    return comparePositions(a.first, b.first);
  });
}

const firstField = (cell: Omit<StoredCell, 'first'>) => bucketFirstField(cell.epochMs, cell.modelName ?? '');

/** A bucket hash's cells; those whose messages all moved elsewhere are left out. */
function bucketCells(start: number, hash: Record<string, string>): Omit<StoredCell, 'first'>[] {
  const groups = new Map<string, { group: [string, string, string]; sums: Record<Field, number> }>();
  for (const [name, value] of Object.entries(hash)) {
    const [device, model, project, field] = JSON.parse(name) as [string, string, string, Field];
    const key = JSON.stringify([device, model, project]);
    let cell = groups.get(key);
    if (cell === undefined) {
      cell = { group: [device, model, project], sums: Object.fromEntries(FIELDS.map((f) => [f, 0])) };
      groups.set(key, cell);
    }
    cell.sums[field] = Number(value);
  }
  return [...groups.values()]
    .filter(({ sums }) => (sums.entries ?? 0) > 0)
    .map(({ group: [device, model, project], sums }) => ({
      epochMs: start,
      device: device as DeviceId,
      project,
      modelName: model === '' ? undefined : model,
      inputTokens: sums.inputTokens ?? 0,
      outputTokens: sums.outputTokens ?? 0,
      cacheCreationTokens: sums.cacheCreationTokens ?? 0,
      cacheReadTokens: sums.cacheReadTokens ?? 0,
      costUSD: sums.costUSD ?? 0,
      missingPricing: (sums.unpriced ?? 0) > 0,
    }));
}
