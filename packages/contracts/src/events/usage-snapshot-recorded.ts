import { z } from 'zod';

const count = z.number().int().nonnegative();
const cost = z.number().nonnegative();

/** The token counts of a ccusage report row or total. */
const ReportTokens = {
  inputTokens: count,
  outputTokens: count,
  cacheCreationTokens: count,
  cacheReadTokens: count,
};

/** What `ccusage claude daily --json` prints, as far as ccsync reads it. */
export const CcusageDailyReport = z.object({
  daily: z
    .array(
      z.object({
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
        ...ReportTokens,
        totalTokens: count,
        totalCost: cost,
        modelsUsed: z.array(z.string().max(256)).max(200),
        modelBreakdowns: z
          .array(z.object({ modelName: z.string().max(256), ...ReportTokens, cost }).passthrough())
          .max(200),
      }),
    )
    .max(20_000),
  totals: z.object({ ...ReportTokens, totalTokens: count, totalCost: cost }).passthrough(),
});
export type CcusageDailyReport = z.infer<typeof CcusageDailyReport>;

/**
 * UsageSnapshotRecorded v1: a device's whole daily report as ccusage computed it (the scheduler's
 * ccusage job). A snapshot replaces the device's previous one; it is a source of its own and is
 * shown only for a device that sends nothing more exact, so it never double-counts transcripts.
 */
export const UsageSnapshotRecordedV1 = z.object({
  tool: z.literal('ccusage'),
  timezone: z.string().min(1).max(64).optional(),
  report: CcusageDailyReport,
});
export type UsageSnapshotRecordedV1 = z.infer<typeof UsageSnapshotRecordedV1>;
