import { type DeviceId, type UsageDelta, type UsageEntry, zeroTotals } from '@ccsync/contracts';
import {
  type CountedCopy,
  chooseWinner,
  comparePositions,
  dedupeKeys,
  entryTokens,
  isSidechainReplay,
  messageCost,
  type PricingTable,
  positionOf,
} from '@ccsync/usage';

/** A stored de-duplication key: the counted copy, or a pointer to the key that holds it. */
export type StoredMessage = CountedCopy | { readonly ref: string };

/** What is known of the messages an event touches, as read from the views. */
export interface KnownMessages {
  /** By copy key (see `dedupeKeys`). */
  readonly messages: Map<string, StoredMessage>;
  /** First copy key per replay key (session and message id). */
  readonly replays: Map<string, string>;
}

/** A copy that starts (+1) or stops (-1) counting, with its cost. */
export interface CopyMove {
  readonly copy: CountedCopy;
  readonly sign: 1 | -1;
  readonly costUSD: number;
  /** It has tokens but no price: reports flag its model `missingPricing`. */
  readonly missingPricing: boolean;
}

/** What applying entries changes: keys to write, each device's totals, and the copies that count. */
export interface Settlement {
  readonly messageWrites: Map<string, StoredMessage>;
  readonly replayWrites: Map<string, string>;
  readonly deltas: Map<DeviceId, UsageDelta>;
  /**
   * Copies that now count and copies that no longer do (replaced by a better one), in the order
   * it happened: a copy counted by one entry may stop counting at the next.
   */
  readonly moves: CopyMove[];
}

/**
 * Applies new entries to the messages already counted, with the same rules as `dedupeEntries`,
 * but incrementally and across devices: a new message counts for its device; a better copy of a
 * counted message (a later streaming copy, or the main-chain copy of a sidechain replay) moves
 * the message's tokens and cost from the old copy's device to the new one's, so views change by
 * the difference. Pure: `known` is updated in place so entries of one event see each other.
 */
export function settleCopies(
  known: KnownMessages,
  device: DeviceId,
  entries: readonly UsageEntry[],
  pricing: PricingTable,
): Settlement {
  const settlement: Settlement = {
    messageWrites: new Map(),
    replayWrites: new Map(),
    deltas: new Map(),
    moves: [],
  };
  const count = (copy: CountedCopy, sign: 1 | -1) => {
    const cost = messageCost(copy.entry, pricing);
    const costUSD = cost.costUSD;
    const tokens = entryTokens(copy.entry.usage);
    settlement.moves.push({ copy, sign, costUSD, missingPricing: cost.unpriced && tokens.totalTokens > 0 });
    const delta: UsageDelta = settlement.deltas.get(copy.device) ?? zeroTotals();
    delta.entries += sign;
    delta.inputTokens += sign * tokens.inputTokens;
    delta.outputTokens += sign * tokens.outputTokens;
    delta.cacheCreationTokens += sign * tokens.cacheCreationTokens;
    delta.cacheReadTokens += sign * tokens.cacheReadTokens;
    delta.totalTokens += sign * tokens.totalTokens;
    delta.totalCost += sign * costUSD;
    settlement.deltas.set(copy.device, delta);
  };
  const setMessage = (key: string, value: StoredMessage) => {
    known.messages.set(key, value);
    settlement.messageWrites.set(key, value);
  };
  /** The key that holds the counted copy for `key`, following a pointer. */
  const slotOf = (key: string): string | undefined => {
    const stored = known.messages.get(key);
    if (stored === undefined) return undefined;
    return 'ref' in stored ? stored.ref : key;
  };
  const copyAt = (slot: string | undefined): CountedCopy | undefined => {
    const stored = slot === undefined ? undefined : known.messages.get(slot);
    return stored !== undefined && !('ref' in stored) ? stored : undefined;
  };

  for (const entry of entries) {
    const incoming: CountedCopy = { device, entry };
    const keys = dedupeKeys(entry);
    if (keys === undefined) {
      // Without a message id, ccusage never merges a line: it always counts.
      count(incoming, 1);
      continue;
    }
    let slot = slotOf(keys.copy);
    if (slot === undefined) {
      const candidate = slotOf(known.replays.get(keys.replay) ?? '');
      const seen = copyAt(candidate);
      if (seen !== undefined && isSidechainReplay(seen.entry, entry)) slot = candidate;
    }
    const kept = copyAt(slot);
    if (slot === undefined || kept === undefined) {
      setMessage(keys.copy, incoming);
      if (!known.replays.has(keys.replay)) {
        known.replays.set(keys.replay, keys.copy);
        settlement.replayWrites.set(keys.replay, keys.copy);
      }
      count(incoming, 1);
      continue;
    }
    if (keys.copy !== slot && !known.messages.has(keys.copy)) setMessage(keys.copy, { ref: slot });
    // Copies reach the server in any order; ccusage's order decides ties and the message's place.
    const incomingReadFirst = comparePositions(positionOf(incoming), positionOf(kept)) < 0;
    const first = incomingReadFirst ? positionOf(incoming) : positionOf(kept);
    const winner = chooseWinner(kept.entry, entry, incomingReadFirst) === 'kept' ? kept : incoming;
    const counted: CountedCopy = { ...winner, first };
    if (winner === kept && comparePositions(first, positionOf(kept)) === 0) continue;
    count(kept, -1);
    count(counted, 1);
    setMessage(slot, counted);
  }
  return settlement;
}
