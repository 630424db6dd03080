import type { UsageEntry } from '@ccsync/contracts';
import { compactDate, zonedDate } from '../calendar/zoned-date.ts';
import { dedupeEntries } from '../dedupe/usage-deduper.ts';
import type { PricingTable } from '../pricing/pricing-table.ts';
import { type PricedEntry, priceEntry } from './priced-entry.ts';

const HOUR_MS = 3_600_000;
/** ccusage's block length, 5 hours; a pause longer than it also ends a chain of blocks. */
export const BLOCK_MS = 5 * HOUR_MS;

/** Where a block that begins with a message at `timeMs` starts: the UTC hour, whatever the timezone. */
export function blockStartOf(timeMs: number): number {
  return Math.floor(timeMs / HOUR_MS) * HOUR_MS;
}

/**
 * ccusage's split: a message begins a new block when it is more than a block's length after the
 * current block's start, or after the message before it.
 */
export function startsNewBlock(timeMs: number, blockStartMs: number, previousMs: number, lengthMs = BLOCK_MS): boolean {
  return timeMs - blockStartMs > lengthMs || timeMs - previousMs > lengthMs;
}
const MINUTE_MS = 60_000;
/** `--recent` keeps blocks that started within the last 3 days (and the active one). */
const RECENT_MS = 72 * HOUR_MS;
const DEFAULT_SESSION_HOURS = 5;

export interface BlockTokenCounts {
  readonly cacheCreationInputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface BurnRate {
  readonly costPerHour: number;
  readonly tokensPerMinute: number;
  /** Input + output tokens per minute, without cache tokens. */
  readonly tokensPerMinuteForIndicator: number;
}

export interface BlockProjection {
  readonly remainingMinutes: number;
  readonly totalCost: number;
  readonly totalTokens: number;
}

export interface TokenLimitStatus {
  readonly limit: number;
  readonly percentUsed: number | null;
  readonly projectedUsage: number;
  readonly status: 'ok' | 'warning' | 'exceeds';
}

/** One 5-hour billing window, or the gap between two, as `ccusage claude blocks --json` prints it. */
export interface BlockWindow {
  readonly actualEndTime: string | null;
  readonly burnRate: BurnRate | null;
  readonly costUSD: number;
  readonly endTime: string;
  readonly entries: number;
  readonly id: string;
  readonly isActive: boolean;
  readonly isGap: boolean;
  readonly models: readonly string[];
  readonly projection: BlockProjection | null;
  readonly startTime: string;
  readonly tokenCounts: BlockTokenCounts;
  readonly tokenLimitStatus?: TokenLimitStatus;
  readonly totalTokens: number;
}

export interface BlocksReport {
  readonly blocks: readonly BlockWindow[];
}

export interface BlocksReportOptions {
  /** The wall-clock instant that decides which block is active (ccusage uses the time it runs). */
  readonly now: Date | number;
  readonly pricing: PricingTable;
  /** A token limit, or `max`: the largest total of the completed blocks shown. */
  readonly tokenLimit?: number | 'max';
  /** Only the active block (`--active`). */
  readonly active?: boolean;
  /** Only blocks started in the last 3 days, and the active one (`--recent`). */
  readonly recent?: boolean;
  /** Block length in hours (`--session-length`), 5 by default. */
  readonly sessionLengthHours?: number;
  /** `--since`/`--until` compare the block's start date in this timezone; `local` when omitted. */
  readonly timezone?: string;
  readonly since?: string;
  readonly until?: string;
}

interface BlockDraft {
  readonly startMs: number;
  readonly entries: PricedEntry[];
}

/**
 * ccusage's 5-hour blocks. `entries` are every parsed entry in ccusage's order (files by full path, then
 * lines); they are de-duplicated with ccsync's unified rules, then ordered by timestamp (stably, so equal
 * timestamps keep file order).
 */
export function blocksReport(entries: Iterable<UsageEntry>, options: BlocksReportOptions): BlocksReport {
  const now = typeof options.now === 'number' ? options.now : options.now.getTime();
  const lengthMs = (options.sessionLengthHours ?? DEFAULT_SESSION_HOURS) * HOUR_MS;
  const priced = dedupeEntries(entries)
    .map((entry) => priceEntry(entry, options.pricing))
    .sort((a, b) => a.epochMs - b.epochMs);

  const windows: BlockWindow[] = [];
  let current: BlockDraft | undefined;
  let previousMs = 0;
  for (const entry of priced) {
    if (current !== undefined) {
      if (startsNewBlock(entry.epochMs, current.startMs, previousMs, lengthMs)) {
        windows.push(closeBlock(current, lengthMs, now));
        // Only a pause longer than a block leaves a gap; a block that merely ran out is followed directly.
        if (entry.epochMs - previousMs > lengthMs) windows.push(gapBlock(previousMs + lengthMs, entry.epochMs));
        current = undefined;
      }
    }
    // Blocks start at the UTC hour, whatever the timezone (even a half-hour one like Asia/Kolkata).
    current ??= { startMs: blockStartOf(entry.epochMs), entries: [] };
    current.entries.push(entry);
    previousMs = entry.epochMs;
  }
  if (current !== undefined) windows.push(closeBlock(current, lengthMs, now));

  // A gap starts at `last + length` but the next block at the floored hour, so a gap may sort after it.
  let blocks = windows.sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
  blocks = filterByStartDate(blocks, options);
  if (options.recent)
    blocks = blocks.filter((block) => block.isActive || Date.parse(block.startTime) >= now - RECENT_MS);
  if (options.active) blocks = blocks.filter((block) => block.isActive);
  if (options.tokenLimit !== undefined) blocks = withTokenLimitStatus(blocks, options.tokenLimit);
  return { blocks };
}

function closeBlock(draft: BlockDraft, lengthMs: number, now: number): BlockWindow {
  const tokenCounts = { cacheCreationInputTokens: 0, cacheReadInputTokens: 0, inputTokens: 0, outputTokens: 0 };
  let costUSD = 0;
  const models: string[] = [];
  for (const { tokens, costUSD: cost, modelName } of draft.entries) {
    tokenCounts.inputTokens += tokens.inputTokens;
    tokenCounts.outputTokens += tokens.outputTokens;
    tokenCounts.cacheCreationInputTokens += tokens.cacheCreationTokens;
    tokenCounts.cacheReadInputTokens += tokens.cacheReadTokens;
    costUSD += cost;
    if (modelName !== undefined && !models.includes(modelName)) models.push(modelName);
  }
  const first = draft.entries[0];
  const last = draft.entries[draft.entries.length - 1];
  return presentBlock(
    {
      startMs: draft.startMs,
      firstMs: first?.epochMs ?? draft.startMs,
      lastMs: last?.epochMs ?? draft.startMs,
      entries: draft.entries.length,
      tokenCounts,
      costUSD,
      models,
    },
    now,
    lengthMs,
  );
}

/** What a block is made of, whatever the time: enough to present it as ccusage would at any instant. */
export interface BlockSummary {
  readonly startMs: number;
  /** The first and last messages' times. */
  readonly firstMs: number;
  readonly lastMs: number;
  readonly entries: number;
  readonly tokenCounts: BlockTokenCounts;
  readonly costUSD: number;
  /** In the order they first appear. */
  readonly models: readonly string[];
}

/**
 * A block as ccusage prints it at `now`: whether it is active, and its burn rate and projection,
 * depend on the instant; everything else on its messages.
 */
export function presentBlock(summary: BlockSummary, now: number, lengthMs = BLOCK_MS): BlockWindow {
  const { tokenCounts, costUSD, firstMs, lastMs } = summary;
  const totalTokens =
    tokenCounts.inputTokens +
    tokenCounts.outputTokens +
    tokenCounts.cacheCreationInputTokens +
    tokenCounts.cacheReadInputTokens;
  const endMs = summary.startMs + lengthMs;
  const isActive = now - lastMs < lengthMs && now < endMs;

  let burnRate: BurnRate | null = null;
  let projection: BlockProjection | null = null;
  const minutes = (lastMs - firstMs) / MINUTE_MS;
  if (isActive && minutes > 0) {
    burnRate = {
      costPerHour: (costUSD / minutes) * 60,
      tokensPerMinute: totalTokens / minutes,
      tokensPerMinuteForIndicator: (tokenCounts.inputTokens + tokenCounts.outputTokens) / minutes,
    };
    const remainingMinutes = roundHalfAwayFromZero((endMs - now) / MINUTE_MS);
    projection = {
      remainingMinutes,
      totalCost: roundHalfAwayFromZero((costUSD + (burnRate.costPerHour / 60) * remainingMinutes) * 100) / 100,
      totalTokens: roundHalfAwayFromZero(totalTokens + burnRate.tokensPerMinute * remainingMinutes),
    };
  }
  const startTime = new Date(summary.startMs).toISOString();
  return {
    actualEndTime: new Date(lastMs).toISOString(),
    burnRate,
    costUSD,
    endTime: new Date(endMs).toISOString(),
    entries: summary.entries,
    id: startTime,
    isActive,
    isGap: false,
    models: [...summary.models],
    projection,
    startTime,
    tokenCounts: { ...tokenCounts },
    totalTokens,
  };
}

function gapBlock(startMs: number, endMs: number): BlockWindow {
  const startTime = new Date(startMs).toISOString();
  return {
    actualEndTime: null,
    burnRate: null,
    costUSD: 0,
    endTime: new Date(endMs).toISOString(),
    entries: 0,
    id: `gap-${startTime}`,
    isActive: false,
    isGap: true,
    models: [],
    projection: null,
    startTime,
    tokenCounts: { cacheCreationInputTokens: 0, cacheReadInputTokens: 0, inputTokens: 0, outputTokens: 0 },
    totalTokens: 0,
  };
}

function filterByStartDate(blocks: BlockWindow[], options: BlocksReportOptions): BlockWindow[] {
  if (options.since === undefined && options.until === undefined) return blocks;
  const since = options.since === undefined ? undefined : compactDate(options.since);
  const until = options.until === undefined ? undefined : compactDate(options.until);
  return blocks.filter((block) => {
    const date = compactDate(zonedDate(Date.parse(block.startTime), options.timezone ?? 'local'));
    return (since === undefined || date >= since) && (until === undefined || date <= until);
  });
}

/**
 * The active block's projected usage against a limit. `max` is the largest total among the completed,
 * non-gap blocks left after the filters; with none, no status is given.
 */
function withTokenLimitStatus(blocks: BlockWindow[], tokenLimit: number | 'max'): BlockWindow[] {
  let limit: number | undefined;
  if (tokenLimit === 'max') {
    for (const block of blocks) {
      if (!block.isGap && !block.isActive && (limit === undefined || block.totalTokens > limit)) {
        limit = block.totalTokens;
      }
    }
  } else {
    limit = tokenLimit;
  }
  if (limit === undefined) return blocks;
  const resolvedLimit = limit;
  return blocks.map((block) => {
    if (!block.isActive || block.projection === null) return block;
    const projected = block.projection.totalTokens;
    const status = projected > resolvedLimit ? 'exceeds' : projected > resolvedLimit * 0.8 ? 'warning' : 'ok';
    return {
      ...block,
      tokenLimitStatus: {
        limit: resolvedLimit,
        percentUsed: resolvedLimit === 0 ? null : (projected / resolvedLimit) * 100,
        projectedUsage: projected,
        status,
      },
    };
  });
}

/** Rust's `f64::round`: halves go away from zero (JavaScript's Math.round sends -0.5 up). */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}
