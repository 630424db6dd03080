import { type AccountId, BUCKET_MS, bucketFirstField, type ViewKeys } from '@ccsync/contracts';
import { hmgetAll, type Redis } from '@ccsync/service-kit';
import { type CountedCopy, comparePositions, positionOf, type ReadPosition, reportedModelName } from '@ccsync/usage';
import type { CopyMove } from './settle-copies.ts';

/** The quarter hour a copy's usage is bucketed in. */
export const bucketOf = (copy: CountedCopy) => Math.floor(Date.parse(copy.entry.timestamp) / BUCKET_MS) * BUCKET_MS;

/** What a run changes in `bucketFirsts`. */
export interface FirstsChange {
  readonly set: Map<string, string>;
  readonly remove: string[];
}

/**
 * Where each model first appears in each bucket after a run's moves, in ccusage's read order.
 * A copy that starts counting can only lower a position. A copy that stops counting without a
 * copy at the same place taking over (its message changed model, say a later copy is fast mode)
 * may have been the first: that bucket and model are worked out again from the copies that count.
 * `counted` is the run's own change to the counted copies (member to copy, or null when removed).
 */
export async function settleFirsts(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  moves: readonly CopyMove[],
  counted: ReadonlyMap<string, CountedCopy | null>,
): Promise<FirstsChange> {
  // Net of the run: a copy counted and replaced within the run leaves nothing behind.
  const net = new Map<string, { field: string; position: ReadPosition; count: number }>();
  for (const { copy, sign } of moves) {
    const model = reportedModelName(copy.entry);
    if (model === undefined) continue;
    const field = bucketFirstField(bucketOf(copy), model);
    const position = positionOf(copy);
    const key = JSON.stringify([field, position]);
    const known = net.get(key) ?? { field, position, count: 0 };
    net.set(key, { ...known, count: known.count + sign });
  }
  const lowest = new Map<string, ReadPosition>();
  const recount = new Set<string>();
  for (const { field, position, count } of net.values()) {
    // A position that stopped counting may have been the first.
    if (count < 0) recount.add(field);
    if (count <= 0) continue;
    const known = lowest.get(field);
    if (known === undefined || comparePositions(position, known) < 0) lowest.set(field, position);
  }
  const change: FirstsChange = { set: new Map(), remove: [] };
  for (const field of recount) {
    const first = await firstCounted(redis, keys, account, field, counted);
    if (first === undefined) change.remove.push(field);
    else change.set.set(field, JSON.stringify(first));
    lowest.delete(field);
  }

  const fields = [...lowest.keys()];
  const stored = await hmgetAll(redis, keys.bucketFirsts(account), fields);
  fields.forEach((field, index) => {
    const position = lowest.get(field) as ReadPosition;
    const value = stored[index];
    if (value === null || value === undefined || comparePositions(position, JSON.parse(value)) < 0)
      change.set.set(field, JSON.stringify(position));
  });
  return change;
}

/** The earliest position among the copies of a bucket and model that count once the run is applied. */
async function firstCounted(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  field: string,
  counted: ReadonlyMap<string, CountedCopy | null>,
): Promise<ReadPosition | undefined> {
  const [startText = '', model] = splitField(field);
  const start = Number(startText);
  const members = await redis.zrangebyscore(keys.countedByTime(account), start, `(${start + BUCKET_MS}`);
  const copies = new Map<string, CountedCopy | null>();
  const values = await hmgetAll(redis, keys.counted(account), members);
  members.forEach((member, index) => {
    const value = values[index];
    if (value !== null && value !== undefined) copies.set(member, JSON.parse(value) as CountedCopy);
  });
  for (const [member, copy] of counted) copies.set(member, copy);
  let first: ReadPosition | undefined;
  for (const copy of copies.values()) {
    if (copy === null || bucketOf(copy) !== start || reportedModelName(copy.entry) !== model) continue;
    const position = positionOf(copy);
    if (first === undefined || comparePositions(position, first) < 0) first = position;
  }
  return first;
}

function splitField(field: string): [string, string] {
  const newline = field.indexOf('\n');
  return [field.slice(0, newline), field.slice(newline + 1)];
}
