import { type DeviceId, type UsageDelta, type UsageEntry, zeroTotals } from '@ccsync/contracts';
import {
  chooseWinner,
  dedupeKeys,
  entryTokens,
  isSidechainReplay,
  messageCost,
  type PricingTable,
} from '@ccsync/usage';

/** The copy of a message that counts, and the device it came from. */
export interface CountedCopy {
  readonly device: DeviceId;
  readonly entry: UsageEntry;
}

/** A stored de-duplication key: the counted copy, or a pointer to the key that holds it. */
export type StoredMessage = CountedCopy | { readonly ref: string };

/** What is known of the messages an event touches, as read from the views. */
export interface KnownMessages {
  /** By copy key (see `dedupeKeys`). */
  readonly messages: Map<string, StoredMessage>;
  /** First copy key per replay key (session and message id). */
  readonly replays: Map<string, string>;
}

/** What applying entries changes: keys to write, and each device's totals. */
export interface Settlement {
  readonly messageWrites: Map<string, StoredMessage>;
  readonly replayWrites: Map<string, string>;
  readonly deltas: Map<DeviceId, UsageDelta>;
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
  const settlement: Settlement = { messageWrites: new Map(), replayWrites: new Map(), deltas: new Map() };
  const count = (copy: CountedCopy, sign: 1 | -1) => {
    const delta: UsageDelta = settlement.deltas.get(copy.device) ?? zeroTotals();
    const tokens = entryTokens(copy.entry.usage);
    delta.entries += sign;
    delta.inputTokens += sign * tokens.inputTokens;
    delta.outputTokens += sign * tokens.outputTokens;
    delta.cacheCreationTokens += sign * tokens.cacheCreationTokens;
    delta.cacheReadTokens += sign * tokens.cacheReadTokens;
    delta.totalTokens += sign * tokens.totalTokens;
    delta.totalCost += sign * messageCost(copy.entry, pricing).costUSD;
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
    if (chooseWinner(kept.entry, entry) === 'kept') continue;
    count(kept, -1);
    count(incoming, 1);
    setMessage(slot, incoming);
  }
  return settlement;
}
