/**
 * Claude's plan limits per 5-hour block, as Claude-Code-Usage-Monitor (Maciek-roboblog) sets them
 * in its release v3.1.0 (`core/plans.py`, `core/p90_calculator.py`, `ui/components.py`) and
 * documents them in its v4.0.0 README. Anthropic publishes no token numbers: these are the
 * estimates people compare with, and `custom` learns the limit from the account's own blocks.
 *
 * That tool counts input + output tokens against a limit, without cache tokens (its blocks'
 * `totalTokens`), so these limits are compared with `limitTokens`, not with ccusage's
 * `totalTokens`, which cache reads dominate.
 */

export const PLAN_NAMES = ['pro', 'max5', 'max20', 'custom'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];
export type FixedPlanName = Exclude<PlanName, 'custom'>;

export interface PlanLimits {
  readonly displayName: string;
  /** Input + output tokens per 5-hour block. */
  readonly tokenLimit: number;
  readonly costLimitUSD: number;
}

export const PLAN_LIMITS: Readonly<Record<FixedPlanName, PlanLimits>> = {
  pro: { displayName: 'Pro', tokenLimit: 19_000, costLimitUSD: 18 },
  max5: { displayName: 'Max5', tokenLimit: 88_000, costLimitUSD: 35 },
  max20: { displayName: 'Max20', tokenLimit: 220_000, costLimitUSD: 140 },
};

/** A past block "hit a limit" when it came within `LIMIT_HIT_RATIO` of one of these. */
export const KNOWN_TOKEN_LIMITS: readonly number[] = [19_000, 88_000, 220_000, 880_000];
export const LIMIT_HIT_RATIO = 0.95;
/** The custom limit never goes below the Pro limit, and is that without a completed block. */
export const MIN_CUSTOM_TOKEN_LIMIT = PLAN_LIMITS.pro.tokenLimit;
/** The custom cost limit when no completed block hit a limit. */
export const DEFAULT_CUSTOM_COST_LIMIT_USD = 200;

/** Usage at or above this share of the limit warns; at or above the critical one it alarms. */
export const WARNING_PERCENT = 80;
export const CRITICAL_PERCENT = 95;

/** What the limit functions read of a block: ccusage's `blocks --json` entries and BlockWindow fit. */
export interface PlanBlock {
  readonly isGap: boolean;
  readonly isActive: boolean;
  readonly costUSD: number;
  readonly tokenCounts: { readonly inputTokens: number; readonly outputTokens: number };
}

/** The tokens a plan limit counts: input + output, without cache tokens. */
export function limitTokens(block: Pick<PlanBlock, 'tokenCounts'>): number {
  return block.tokenCounts.inputTokens + block.tokenCounts.outputTokens;
}

const hitLimit = (tokens: number) => KNOWN_TOKEN_LIMITS.some((limit) => tokens >= limit * LIMIT_HIT_RATIO);

/** Completed (neither gap nor active) blocks with tokens, which the limits learn from. */
function completedBlocks(blocks: readonly PlanBlock[]): PlanBlock[] {
  return blocks.filter((block) => !block.isGap && !block.isActive && limitTokens(block) > 0);
}

/**
 * The custom plan's token limit: the 90th percentile of the completed blocks that came within 95%
 * of a known limit, or of every completed block when none did, never below the Pro limit. The
 * percentile is Python's `statistics.quantiles(n=10)[8]` (the exclusive method, which extrapolates
 * past the largest value on small samples), truncated to a whole number as that tool does. One
 * block alone gives its own total, as Python 3.13 does (older Pythons raise and the tool falls back
 * to the Pro limit).
 */
export function p90TokenLimit(blocks: readonly PlanBlock[]): number {
  const completed = completedBlocks(blocks).map(limitTokens);
  const hits = completed.filter(hitLimit);
  const sample = hits.length > 0 ? hits : completed;
  if (sample.length === 0) return MIN_CUSTOM_TOKEN_LIMIT;
  return Math.max(Math.trunc(exclusiveDecile9(sample)), MIN_CUSTOM_TOKEN_LIMIT);
}

/**
 * The custom plan's cost limit: the 90th percentile (numpy's linear method) of the costs of the
 * completed blocks that came within 95% of a known token limit; $200 when none did.
 */
export function p90CostLimit(blocks: readonly PlanBlock[]): number {
  const costs = completedBlocks(blocks)
    .filter((block) => hitLimit(limitTokens(block)))
    .map((block) => block.costUSD);
  return costs.length === 0 ? DEFAULT_CUSTOM_COST_LIMIT_USD : linearPercentile(costs, 0.9);
}

/** The largest completed block's limit tokens (ccusage's `--token-limit max`, counted as plans count). */
export function maxTokenLimit(blocks: readonly PlanBlock[]): number | undefined {
  const completed = completedBlocks(blocks).map(limitTokens);
  return completed.length === 0 ? undefined : Math.max(...completed);
}

/** Python's `statistics.quantiles(values, n=10, method='exclusive')[8]`. */
function exclusiveDecile9(values: readonly number[]): number {
  const data = [...values].sort((a, b) => a - b);
  const count = data.length;
  if (count === 1) return data[0] as number;
  const n = 10;
  const m = count + 1;
  const j = Math.min(Math.max(Math.floor((9 * m) / n), 1), count - 1);
  const delta = 9 * m - j * n;
  return ((data[j - 1] as number) * (n - delta) + (data[j] as number) * delta) / n;
}

/** numpy's `percentile(values, q * 100)` with its default linear method and its lerp. */
function linearPercentile(values: readonly number[], q: number): number {
  const data = [...values].sort((a, b) => a - b);
  const position = (data.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, data.length - 1);
  const a = data[below] as number;
  const b = data[above] as number;
  const t = position - below;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

export type LimitLevel = 'ok' | 'warning' | 'critical';

/** What the limit needs of the active block: its counts, and ccusage's burn rate and projection. */
export interface LimitedBlock {
  readonly tokenCounts: { readonly inputTokens: number; readonly outputTokens: number };
  readonly burnRate: { readonly tokensPerMinuteForIndicator: number } | null;
  readonly projection: { readonly remainingMinutes: number } | null;
}

export interface BlockLimitStatus {
  readonly limit: number;
  /** Input + output tokens so far. */
  readonly used: number;
  readonly percentUsed: number;
  /** `critical` from 95% (and over the limit), `warning` from 80%. */
  readonly level: LimitLevel;
  /** Input + output tokens at the block's end at its burn rate; null without a rate (one message so far). */
  readonly projectedUsed: number | null;
  /** Whether the projection passes the limit before the block resets. */
  readonly exceedsBeforeReset: boolean;
  /**
   * Minutes from when the block was read until the limit is reached at its burn rate: 0 when it
   * already is, null without a rate.
   */
  readonly minutesToLimit: number | null;
}

/**
 * The active block against a limit. The projection is ccusage's (`projection.totalTokens`:
 * tokens so far plus the burn rate over the remaining minutes), counted in limit tokens.
 */
export function blockLimitStatus(block: LimitedBlock, limit: number): BlockLimitStatus {
  const used = limitTokens(block);
  const percentUsed = limit > 0 ? (used / limit) * 100 : 0;
  const level: LimitLevel =
    percentUsed >= CRITICAL_PERCENT ? 'critical' : percentUsed >= WARNING_PERCENT ? 'warning' : 'ok';
  const rate = block.burnRate?.tokensPerMinuteForIndicator;
  const projectedUsed =
    rate === undefined || block.projection === null
      ? null
      : roundHalfAwayFromZero(used + rate * block.projection.remainingMinutes);
  let minutesToLimit: number | null = null;
  if (used >= limit) minutesToLimit = 0;
  else if (rate !== undefined && rate > 0) minutesToLimit = (limit - used) / rate;
  return {
    limit,
    used,
    percentUsed,
    level,
    projectedUsed,
    exceedsBeforeReset: projectedUsed !== null && projectedUsed > limit,
    minutesToLimit,
  };
}

/** Rust's `f64::round`, as ccusage rounds its projection. */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}
