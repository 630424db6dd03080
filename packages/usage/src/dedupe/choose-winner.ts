import type { UsageEntry } from '@ccsync/contracts';
import { entryTokens } from '../tokens.ts';

/**
 * Which of two copies of one message counts. A non-sidechain copy beats a sidechain one. Otherwise the copy
 * with more tokens wins, because Claude Code writes partial streaming copies first. On equal totals the
 * incoming copy wins only if it has `speed` and the kept one has not; otherwise the kept one stays.
 *
 * ccusage's daily report compares the computed costs before `speed`, its blocks report does not. ccsync
 * takes the blocks rule in every report, so that the winner never depends on the pricing table.
 */
export function chooseWinner(kept: UsageEntry, incoming: UsageEntry, incomingReadFirst = false): 'kept' | 'incoming' {
  if (kept.isSidechain !== incoming.isSidechain) return kept.isSidechain ? 'incoming' : 'kept';
  const keptTotal = entryTokens(kept.usage).totalTokens;
  const incomingTotal = entryTokens(incoming.usage).totalTokens;
  if (incomingTotal !== keptTotal) return incomingTotal > keptTotal ? 'incoming' : 'kept';
  // On a tie the copy read first stays, unless only the later one has `speed`. Copies reach a
  // server out of read order, so `incomingReadFirst` says which came first where they were read.
  if (incomingReadFirst) return kept.speed !== undefined && incoming.speed === undefined ? 'kept' : 'incoming';
  return incoming.speed !== undefined && kept.speed === undefined ? 'incoming' : 'kept';
}
