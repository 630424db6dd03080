export { chooseWinner } from './choose-winner.ts';
export type { DedupeKeys } from './dedupe-keys.ts';
export { dedupeKeys, isSidechainReplay } from './dedupe-keys.ts';
export type { CountedCopy, ReadPosition } from './read-position.ts';
export { comparePositions, positionOf } from './read-position.ts';
export type { DedupeOutcome, UsageDeduper } from './usage-deduper.ts';
export { createUsageDeduper, dedupeEntries } from './usage-deduper.ts';
