export type {
  BlockProjection,
  BlocksReport,
  BlocksReportOptions,
  BlockTokenCounts,
  BlockWindow,
  BurnRate,
  TokenLimitStatus,
} from './blocks.ts';
export { blocksReport } from './blocks.ts';
export { formatCcusageJson, formatRustFloat } from './ccusage-json.ts';
export type { DailyModelBreakdown, DailyReport, DailyReportOptions, DailyRow, DailyTotals } from './daily.ts';
export { dailyReport } from './daily.ts';
export type { PricedEntry } from './priced-entry.ts';
export { priceEntry, reportedModelName } from './priced-entry.ts';
