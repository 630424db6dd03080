import type { BlockDeviceShare, DeviceId } from '@ccsync/contracts';
import { comparePositions, type ReadPosition } from '../dedupe/read-position.ts';
import { type BlockSummary, type BlockWindow, presentBlock } from './blocks.ts';

/** Where a model first appears in the block: by time, then in ccusage's read order. */
export type FirstSeen = readonly [number, ReadPosition];

/** A device's share of the block. */
export interface DeviceShare {
  entries: number;
  totalTokens: number;
  costUSD: number;
}

/**
 * The account's last block as the views keep it: ccusage's block summary, plus what keeping it
 * current needs (where its chain starts, each model's first appearance and message count), plus
 * each device's share.
 */
export interface LastBlock {
  /** The first message after a pause longer than a block: nothing earlier can move this block. */
  readonly chainStartMs: number;
  readonly startMs: number;
  firstMs: number;
  lastMs: number;
  entries: number;
  readonly tokenCounts: {
    inputTokens: number;
    outputTokens: number;
    cacheCreationInputTokens: number;
    cacheReadInputTokens: number;
  };
  costUSD: number;
  readonly models: Record<string, { entries: number; first: FirstSeen }>;
  readonly devices: Record<string, DeviceShare>;
}

export const compareFirstSeen = (a: FirstSeen, b: FirstSeen) => a[0] - b[0] || comparePositions(a[1], b[1]);

/** ccusage's summary of the block, models in the order they first appear. */
export function blockSummary(block: LastBlock): BlockSummary {
  return {
    startMs: block.startMs,
    firstMs: block.firstMs,
    lastMs: block.lastMs,
    entries: block.entries,
    tokenCounts: block.tokenCounts,
    costUSD: block.costUSD,
    models: Object.entries(block.models)
      .sort(([, a], [, b]) => compareFirstSeen(a.first, b.first))
      .map(([name]) => name),
  };
}

/** Each device's share of the block, largest first. */
export function deviceShares(block: LastBlock): BlockDeviceShare[] {
  return Object.entries(block.devices)
    .map(([device, share]) => ({ device: device as DeviceId, ...share }))
    .sort((a, b) => b.totalTokens - a.totalTokens || (a.device < b.device ? -1 : 1));
}

/**
 * The stored last block (its JSON, as the projector keeps it) as ccusage's `blocks --active` shows
 * it at `now`, or undefined when there is none or it is no longer active.
 */
export function activeBlockAt(
  stored: string | null,
  now: number,
): { readonly block: BlockWindow; readonly last: LastBlock } | undefined {
  if (stored === null) return undefined;
  const last = JSON.parse(stored) as LastBlock;
  const block = presentBlock(blockSummary(last), now);
  return block.isActive ? { block, last } : undefined;
}
