export type { CalendarDate } from './calendar/index.ts';
export { anyZoneRange, compactDate, LOCAL_TIMEZONE, zonedDate } from './calendar/index.ts';
export type { CountedCopy, DedupeKeys, DedupeOutcome, ReadPosition, UsageDeduper } from './dedupe/index.ts';
export {
  chooseWinner,
  comparePositions,
  createUsageDeduper,
  dedupeEntries,
  dedupeKeys,
  isSidechainReplay,
  positionOf,
} from './dedupe/index.ts';
export type {
  CategoryRates,
  MessageCost,
  ModelPricing,
  PricingOverrides,
  PricingTable,
  ResolvedPricing,
  SecondaryModelPricing,
} from './pricing/index.ts';
export {
  CCUSAGE_OFFLINE_PRICING,
  calculateCost,
  extendPricingTable,
  loadPricingTable,
  messageCost,
  PricingTableError,
  parsePricingOverrides,
  resolveModelPricing,
  SYNTHETIC_MODEL,
} from './pricing/index.ts';
export type {
  BlockProjection,
  BlockSummary,
  BlocksReport,
  BlocksReportOptions,
  BlockTokenCounts,
  BlockWindow,
  BurnRate,
  DailyReport,
  DailyReportOptions,
  DailyRow,
  DeviceShare,
  FirstSeen,
  LastBlock,
  ModelBreakdown,
  MonthlyReport,
  MonthlyRow,
  Period,
  PeriodReport,
  PeriodReportOptions,
  PeriodTotals,
  PricedEntry,
  SessionReport,
  SessionReportOptions,
  SessionRow,
  TokenLimitStatus,
  UsageCell,
  Weekday,
  WeeklyReport,
  WeeklyRow,
} from './reports/index.ts';
export {
  BLOCK_MS,
  blockStartOf,
  blockSummary,
  blocksReport,
  compareFirstSeen,
  dailyReport,
  deviceShares,
  entryCells,
  formatCcusageJson,
  formatRustFloat,
  periodReport,
  presentBlock,
  priceEntry,
  reportedModelName,
  sessionReport,
  startsNewBlock,
  WEEKDAYS,
} from './reports/index.ts';
export type { EntryTokens } from './tokens.ts';
export { cacheCreationTokens, entryTokens } from './tokens.ts';
export type { TranscriptLineContext } from './transcript/index.ts';
export {
  entryId,
  parseStrictTimestamp,
  parseTranscript,
  parseTranscriptLine,
  parseTranscripts,
  projectFromPath,
  sessionFromPath,
} from './transcript/index.ts';
