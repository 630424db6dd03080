import type { AccountId, ViewKeys } from '@ccsync/contracts';
import { hmgetAll, type Redis } from '@ccsync/service-kit';
import {
  BLOCK_MS,
  blockStartOf,
  type CountedCopy,
  compareFirstSeen,
  comparePositions,
  entryTokens,
  type FirstSeen,
  type LastBlock,
  positionOf,
  reportedModelName,
  startsNewBlock,
} from '@ccsync/usage';
import type { CopyMove } from './settle-copies.ts';

const PAGE = 1000;

const epochOf = (copy: CountedCopy) => Date.parse(copy.entry.timestamp);

/** Adds (+1) or takes away (-1) a copy's tokens, cost and counts; the edges are the caller's. */
function addSums(block: LastBlock, { copy, sign, costUSD }: CopyMove): void {
  const tokens = entryTokens(copy.entry.usage);
  block.entries += sign;
  block.tokenCounts.inputTokens += sign * tokens.inputTokens;
  block.tokenCounts.outputTokens += sign * tokens.outputTokens;
  block.tokenCounts.cacheCreationInputTokens += sign * tokens.cacheCreationTokens;
  block.tokenCounts.cacheReadInputTokens += sign * tokens.cacheReadTokens;
  block.costUSD += sign * costUSD;
  const model = reportedModelName(copy.entry);
  if (model !== undefined) {
    const seen: FirstSeen = [epochOf(copy), positionOf(copy)];
    const known = block.models[model] ?? { entries: 0, first: seen };
    block.models[model] = known;
    known.entries += sign;
    if (sign === 1 && compareFirstSeen(seen, known.first) < 0) known.first = seen;
  }
  const share = block.devices[copy.device] ?? { entries: 0, totalTokens: 0, costUSD: 0 };
  block.devices[copy.device] = share;
  share.entries += sign;
  share.totalTokens += sign * tokens.totalTokens;
  share.costUSD += sign * costUSD;
}

/** A copy that starts counting in the block: its sums, and the edges it may push out. */
function addToBlock(block: LastBlock, move: CopyMove): void {
  const time = epochOf(move.copy);
  addSums(block, move);
  block.firstMs = Math.min(block.firstMs, time);
  block.lastMs = Math.max(block.lastMs, time);
}

/**
 * The moves less the copies that the run itself counted and replaced: a copy that starts and
 * stops counting within one run changes nothing, wherever it lies.
 */
function withoutRoundTrips(moves: readonly CopyMove[], placeOf: (copy: CountedCopy) => string): CopyMove[] {
  const kept: (CopyMove | undefined)[] = [...moves];
  const added = new Map<string, number>();
  moves.forEach((move, index) => {
    const member = `${move.copy.device}:${move.copy.entry.id}:${placeOf(move.copy)}`;
    if (move.sign === 1) {
      added.set(member, index);
      return;
    }
    const earlier = added.get(member);
    if (earlier === undefined) return;
    kept[earlier] = undefined;
    kept[index] = undefined;
    added.delete(member);
  });
  return kept.filter((move): move is CopyMove => move !== undefined);
}

/** Leaves out models and devices whose every message moved elsewhere. */
function prune(block: LastBlock): LastBlock {
  for (const [model, known] of Object.entries(block.models)) if (known.entries <= 0) delete block.models[model];
  for (const [device, share] of Object.entries(block.devices)) if (share.entries <= 0) delete block.devices[device];
  return block;
}

/**
 * The run's moves applied to the stored block without reading anything: copies replaced at the
 * same place (a later streaming copy of a message, the commonest move) change only sums; copies
 * after the block extend it or start the next blocks, split as ccusage splits them. Undefined
 * when a move reaches before the block or takes away a message one of its edges rests on (its
 * first or last message, or a model's first appearance): then the block is worked out again.
 */
function settleInPlace(block: LastBlock, all: readonly CopyMove[]): LastBlock | undefined {
  const placeOf = (copy: CountedCopy) =>
    JSON.stringify([epochOf(copy), positionOf(copy), reportedModelName(copy.entry) ?? null]);
  const moves = withoutRoundTrips(all, placeOf);
  const net = new Map<string, number>();
  for (const { copy, sign } of moves) net.set(placeOf(copy), (net.get(placeOf(copy)) ?? 0) + sign);

  for (const move of moves.filter(({ sign }) => sign === -1)) {
    const time = epochOf(move.copy);
    if (time < block.startMs || time - block.startMs > BLOCK_MS) return undefined;
    if ((net.get(placeOf(move.copy)) ?? 0) < 0) {
      const model = reportedModelName(move.copy.entry);
      const known = model === undefined ? undefined : block.models[model];
      const seen: FirstSeen = [time, positionOf(move.copy)];
      if (time === block.firstMs || time === block.lastMs) return undefined;
      if (
        model !== undefined &&
        (known === undefined || known.entries <= 1 || compareFirstSeen(known.first, seen) === 0)
      )
        return undefined;
    }
    addSums(block, move);
  }

  let current = block;
  const additions = moves
    .filter(({ sign }) => sign === 1)
    .sort((a, b) => epochOf(a.copy) - epochOf(b.copy) || comparePositions(positionOf(a.copy), positionOf(b.copy)));
  for (const move of additions) {
    const time = epochOf(move.copy);
    if (time < current.startMs) return undefined;
    if (startsNewBlock(time, current.startMs, current.lastMs)) {
      const chainStartMs = time - current.lastMs > BLOCK_MS ? time : current.chainStartMs;
      current = emptyBlock(chainStartMs, blockStartOf(time));
    }
    addToBlock(current, move);
  }
  return prune(current);
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
    // Before the chain, with a longer pause than a block in between: nothing there moves it.
    const relevant = moves.filter((move) => epochOf(move.copy) >= block.chainStartMs - BLOCK_MS);
    if (relevant.length === 0) return { block, changed: false };
    const settled = settleInPlace(block, relevant);
    if (settled !== undefined) return { block: settled, changed: true };
  }
  return { block: await recountLastBlock(redis, keys, account, counted, costOf), changed: true };
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
  // No pause inside a chain is longer than a block, so only running out of the block splits it.
  let startMs = blockStartOf(chain[0]?.time ?? 0);
  let previousMs = startMs;
  for (const { time } of chain) {
    if (startsNewBlock(time, startMs, previousMs)) startMs = blockStartOf(time);
    previousMs = time;
  }
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
  for (const copy of ordered) addToBlock(block, { copy, sign: 1, costUSD: costOf(copy), missingPricing: false });
  return block;
}
