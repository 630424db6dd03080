import type { AccountId, ViewKeys } from '@ccsync/contracts';
import { hmgetAll, type Redis } from '@ccsync/service-kit';
import {
  type CountedCopy,
  compareFirstSeen,
  comparePositions,
  entryTokens,
  type FirstSeen,
  type LastBlock,
  positionOf,
  reportedModelName,
} from '@ccsync/usage';
import type { CopyMove } from './settle-copies.ts';

const HOUR_MS = 3_600_000;
/** ccusage's block length; it is also the pause that ends a chain of blocks. */
const BLOCK_MS = 5 * HOUR_MS;
const PAGE = 1000;

const epochOf = (copy: CountedCopy) => Date.parse(copy.entry.timestamp);

/**
 * Adds (+1) or removes (-1) a copy. Returns false when that cannot be done in place: the copy is
 * outside the block, or it was the block's or a model's first or last message.
 */
function applyMove(block: LastBlock, { copy, sign, costUSD }: CopyMove): boolean {
  const time = epochOf(copy);
  // Before the chain, with a longer pause than a block in between: it cannot change this block.
  if (time < block.chainStartMs - BLOCK_MS) return true;
  if (time < block.startMs || time - block.startMs > BLOCK_MS) return false;
  const model = reportedModelName(copy.entry);
  const seen: FirstSeen = [time, positionOf(copy)];
  if (sign === -1) {
    if (time === block.firstMs || time === block.lastMs) return false;
    const known = model === undefined ? undefined : block.models[model];
    if (model !== undefined && (known === undefined || compareFirstSeen(known.first, seen) === 0 || known.entries <= 1))
      return false;
  }
  const tokens = entryTokens(copy.entry.usage);
  block.entries += sign;
  block.tokenCounts.inputTokens += sign * tokens.inputTokens;
  block.tokenCounts.outputTokens += sign * tokens.outputTokens;
  block.tokenCounts.cacheCreationInputTokens += sign * tokens.cacheCreationTokens;
  block.tokenCounts.cacheReadInputTokens += sign * tokens.cacheReadTokens;
  block.costUSD += sign * costUSD;
  block.firstMs = Math.min(block.firstMs, time);
  block.lastMs = Math.max(block.lastMs, time);
  if (model !== undefined) {
    const known = block.models[model];
    if (known === undefined) block.models[model] = { entries: 1, first: seen };
    else {
      known.entries += sign;
      if (sign === 1 && compareFirstSeen(seen, known.first) < 0) known.first = seen;
    }
  }
  const share = block.devices[copy.device] ?? { entries: 0, totalTokens: 0, costUSD: 0 };
  block.devices[copy.device] = share;
  share.entries += sign;
  share.totalTokens += sign * tokens.totalTokens;
  share.costUSD += sign * costUSD;
  if (share.entries === 0) delete block.devices[copy.device];
  return true;
}

/**
 * The account's last block after a run's moves. Most runs add messages to the block as it is,
 * and it is updated in place; a run that reaches before it, starts a new one, or takes away a
 * message its summary rests on has the block worked out again from the counted copies (with the
 * run's own changes, `counted`, laid over them). Undefined when the account has no messages.
 */
export async function settleLastBlock(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  moves: readonly CopyMove[],
  counted: ReadonlyMap<string, CountedCopy | null>,
  costOf: (copy: CountedCopy) => number,
): Promise<{ block: LastBlock | undefined; changed: boolean }> {
  const stored = await redis.get(keys.lastBlock(account));
  const block = stored === null ? undefined : (JSON.parse(stored) as LastBlock);
  if (moves.length === 0) return { block, changed: false };
  if (stored !== null && block !== undefined) {
    const relevant = moves.filter((move) => epochOf(move.copy) >= block.chainStartMs - BLOCK_MS);
    if (relevant.length === 0) return { block, changed: false };
    if (relevant.every((move) => applyMove(block, move))) return { block, changed: true };
    const extended = extendBlock(JSON.parse(stored) as LastBlock, relevant);
    if (extended !== undefined) return { block: extended, changed: true };
  }
  return { block: await recountLastBlock(redis, keys, account, counted, costOf), changed: true };
}

/**
 * The common case of time moving on: messages after the block, which may start new blocks (and
 * a new chain after a long pause), split as ccusage splits them. Undefined when the moves do more.
 */
function extendBlock(block: LastBlock, moves: readonly CopyMove[]): LastBlock | undefined {
  if (moves.some(({ copy, sign }) => sign === -1 || epochOf(copy) < block.startMs)) return undefined;
  const ordered = [...moves].sort(
    (a, b) => epochOf(a.copy) - epochOf(b.copy) || comparePositions(positionOf(a.copy), positionOf(b.copy)),
  );
  let current = block;
  for (const move of ordered) {
    const time = epochOf(move.copy);
    if (time - current.startMs > BLOCK_MS || time - current.lastMs > BLOCK_MS) {
      const chainStartMs = time - current.lastMs > BLOCK_MS ? time : current.chainStartMs;
      current = emptyBlock(chainStartMs, Math.floor(time / HOUR_MS) * HOUR_MS);
    }
    if (!applyMove(current, move)) return undefined;
  }
  return current;
}

function emptyBlock(chainStartMs: number, startMs: number): LastBlock {
  return {
    chainStartMs,
    startMs,
    firstMs: Number.POSITIVE_INFINITY,
    lastMs: Number.NEGATIVE_INFINITY,
    entries: 0,
    tokenCounts: { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    costUSD: 0,
    models: {},
    devices: {},
  };
}

/**
 * Works the last block out from the counted copies: walks back from the newest message to the
 * last pause longer than a block, splits that chain into blocks as ccusage does, and sums the last.
 */
async function recountLastBlock(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  counted: ReadonlyMap<string, CountedCopy | null>,
  costOf: (copy: CountedCopy) => number,
): Promise<LastBlock | undefined> {
  // The run's copies replace whatever Redis holds under their members.
  const added = [...counted]
    .filter((pair): pair is [string, CountedCopy] => pair[1] !== null)
    .map(([member, copy]) => ({ member, time: epochOf(copy) }))
    .sort((a, b) => b.time - a.time);
  const chain: { member: string; time: number }[] = [];
  let later: number | undefined;
  let next = 0;
  const take = (item: { member: string; time: number }) => {
    if (later !== undefined && later - item.time > BLOCK_MS) return false;
    chain.push(item);
    later = item.time;
    return true;
  };
  walk: for (let offset = 0; ; offset += PAGE) {
    const page = await redis.zrevrange(keys.countedByTime(account), offset, offset + PAGE - 1, 'WITHSCORES');
    for (let index = 0; index < page.length; index += 2) {
      const member = page[index] as string;
      if (counted.has(member)) continue;
      const time = Number(page[index + 1]);
      while (next < added.length && (added[next]?.time ?? 0) >= time) {
        if (!take(added[next] as { member: string; time: number })) break walk;
        next++;
      }
      if (!take({ member, time })) break walk;
    }
    if (page.length < PAGE * 2) {
      while (next < added.length && take(added[next] as { member: string; time: number })) next++;
      break;
    }
  }
  if (chain.length === 0) return undefined;
  chain.reverse();
  // ccusage's split: a new block when a message is more than a block after the block's start.
  let startMs = Math.floor((chain[0]?.time ?? 0) / HOUR_MS) * HOUR_MS;
  for (const { time } of chain) if (time - startMs > BLOCK_MS) startMs = Math.floor(time / HOUR_MS) * HOUR_MS;
  const members = chain.filter(({ time }) => time >= startMs).map(({ member }) => member);
  const fromRedis = members.filter((member) => !counted.has(member));
  const values = await hmgetAll(redis, keys.counted(account), fromRedis);
  const copies = new Map<string, CountedCopy>();
  fromRedis.forEach((member, index) => {
    const value = values[index];
    if (value !== null && value !== undefined) copies.set(member, JSON.parse(value) as CountedCopy);
  });
  for (const member of members) {
    const copy = counted.get(member);
    if (copy) copies.set(member, copy);
  }
  const block = emptyBlock(chain[0]?.time ?? startMs, startMs);
  // Summed in ccusage's order: by time, ties in read order.
  const ordered = [...copies.values()].sort(
    (a, b) => epochOf(a) - epochOf(b) || comparePositions(positionOf(a), positionOf(b)),
  );
  for (const copy of ordered) applyMove(block, { copy, sign: 1, costUSD: costOf(copy), missingPricing: false });
  return block;
}
