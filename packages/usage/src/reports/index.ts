export type {
  BlockProjection,
  BlockSummary,
  BlocksReport,
  BlocksReportOptions,
  BlockTokenCounts,
  BlockWindow,
  BurnRate,
  TokenLimitStatus,
} from './blocks.ts';
export { BLOCK_MS, blockStartOf, blocksReport, presentBlock, startsNewBlock } from './blocks.ts';
export { formatCcusageJson, formatRustFloat } from './ccusage-json.ts';
export type { DeviceShare, FirstSeen, LastBlock } from './last-block.ts';
export { activeBlockAt, blockSummary, compareFirstSeen, deviceShares } from './last-block.ts';
export type {
  DailyReport,
  DailyReportOptions,
  DailyRow,
  ModelBreakdown,
  MonthlyReport,
  MonthlyRow,
  Period,
  PeriodReport,
  PeriodReportOptions,
  PeriodTotals,
  UsageCell,
  Weekday,
  WeeklyReport,
  WeeklyRow,
} from './periods.ts';
export { dailyReport, entryCells, periodReport, WEEKDAYS } from './periods.ts';
export type {
  BlockLimitStatus,
  FixedPlanName,
  LimitedBlock,
  LimitLevel,
  PlanBlock,
  PlanLimits,
  PlanName,
} from './plans.ts';
export {
  blockLimitStatus,
  CRITICAL_PERCENT,
  DEFAULT_CUSTOM_COST_LIMIT_USD,
  KNOWN_TOKEN_LIMITS,
  LIMIT_HIT_RATIO,
  limitTokens,
  MIN_CUSTOM_TOKEN_LIMIT,
  maxTokenLimit,
  PLAN_LIMITS,
  PLAN_NAMES,
  p90CostLimit,
  p90TokenLimit,
  WARNING_PERCENT,
} from './plans.ts';
export type { PricedEntry } from './priced-entry.ts';
export { priceEntry, reportedModelName } from './priced-entry.ts';
export type { SessionReport, SessionReportOptions, SessionRow } from './sessions.ts';
export { sessionReport } from './sessions.ts';
