import type { UsageEntry } from '@ccsync/contracts';
import { chooseWinner } from './choose-winner.ts';
import { dedupeKeys, isSidechainReplay } from './dedupe-keys.ts';

/** What adding one entry did: a new message, a better copy of a known one, or a copy that lost. */
export type DedupeOutcome =
  | { readonly kind: 'added'; readonly position: number }
  | { readonly kind: 'replaced'; readonly position: number; readonly previous: UsageEntry }
  | { readonly kind: 'ignored'; readonly position: number; readonly winner: UsageEntry };

/** Incremental de-duplication, entry by entry, for the projector; `dedupeEntries` is the batch form. */
export interface UsageDeduper {
  add(entry: UsageEntry): DedupeOutcome;
  /** The winning copies, each at the position of the message's first copy. */
  entries(): readonly UsageEntry[];
}

/**
 * ccusage's de-duplication with ccsync's unified rules (docs/ccusage-parity.md §7, the brief's Truth 1).
 * Entries must arrive in ccusage's order: files sorted by their full path, then line order. That order
 * decides which copy is "first", and so ties and positions.
 */
export function createUsageDeduper(): UsageDeduper {
  const slots: UsageEntry[] = [];
  const byCopy = new Map<string, number>();
  const byReplay = new Map<string, number>();
  return {
    add(entry) {
      const keys = dedupeKeys(entry);
      if (keys === undefined) return { kind: 'added', position: slots.push(entry) - 1 };
      let position = byCopy.get(keys.copy);
      if (position === undefined) {
        const candidate = byReplay.get(keys.replay);
        const seen = candidate === undefined ? undefined : slots[candidate];
        if (seen !== undefined && isSidechainReplay(seen, entry)) position = candidate;
      }
      const kept = position === undefined ? undefined : slots[position];
      if (position === undefined || kept === undefined) {
        position = slots.push(entry) - 1;
        byCopy.set(keys.copy, position);
        if (!byReplay.has(keys.replay)) byReplay.set(keys.replay, position);
        return { kind: 'added', position };
      }
      byCopy.set(keys.copy, position);
      if (chooseWinner(kept, entry) === 'kept') return { kind: 'ignored', position, winner: kept };
      // The winner takes the first copy's place in the list (it decides daily `modelsUsed` order).
      slots[position] = entry;
      return { kind: 'replaced', position, previous: kept };
    },
    entries: () => slots,
  };
}

/** The entries that count, once each, in first-copy order. Input: ccusage order (full path, then line). */
export function dedupeEntries(entries: Iterable<UsageEntry>): readonly UsageEntry[] {
  const deduper = createUsageDeduper();
  for (const entry of entries) deduper.add(entry);
  return deduper.entries();
}
