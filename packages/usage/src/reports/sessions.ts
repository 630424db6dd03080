import type { UsageEntry } from '@ccsync/contracts';
import { zonedDate } from '../calendar/zoned-date.ts';
import { dedupeEntries } from '../dedupe/usage-deduper.ts';
import type { PricingTable } from '../pricing/pricing-table.ts';
import { sessionFromPath } from '../transcript/transcript-path.ts';
import {
  accumulatorFor,
  addTo,
  dayRangeFilter,
  modelSums,
  type PeriodAccumulator,
  type PeriodRowFields,
  type PeriodTotals,
  periodRow,
  periodTotals,
} from './periods.ts';
import { priceEntry } from './priced-entry.ts';

export type SessionRow = PeriodRowFields & {
  readonly sessionId: string;
  readonly projectPath: string;
  readonly firstActivity: string;
  readonly lastActivity: string;
};

/** `ccusage claude session --json --offline`'s document. */
export interface SessionReport {
  readonly sessions: readonly SessionRow[];
  readonly totals: PeriodTotals;
}

export interface SessionReportOptions {
  readonly pricing: PricingTable;
  /** Where an entry's transcript sits below `projects/`; its `file` by default. */
  readonly pathOf?: (entry: UsageEntry) => string | undefined;
  /** Only messages of these days count, as with ccusage's `--since` / `--until`; days in `timezone` (UTC by default). */
  readonly since?: string;
  readonly until?: string;
  readonly timezone?: string;
}

/**
 * ccusage's session of an entry: the transcript's place below `projects/` (a subagent's file
 * belongs to its parent session), not the `sessionId` its lines carry.
 */
function sessionOf(entry: UsageEntry, path: string | undefined): string {
  return path === undefined ? (entry.sessionId ?? '') : sessionFromPath(path);
}

/**
 * ccusage's session report: every entry in ccusage's order, de-duplicated and priced, summed per
 * session of a project; models listed where they first appear.
 */
export function sessionReport(entries: Iterable<UsageEntry>, options: SessionReportOptions): SessionReport {
  const sessions = new Map<string, { accumulator: PeriodAccumulator; first: number; last: number }>();
  const accumulators = new Map<string, PeriodAccumulator>();
  const inRange = dayRangeFilter(options);
  const filtered = options.since !== undefined || options.until !== undefined;
  for (const entry of dedupeEntries(entries)) {
    const priced = priceEntry(entry, options.pricing);
    // As in ccusage, a session's messages outside the days asked for are left out of it.
    if (filtered && !inRange(zonedDate(priced.epochMs, options.timezone ?? 'UTC'))) continue;
    const key = JSON.stringify([entry.projectPath ?? '', sessionOf(entry, (options.pathOf ?? ((e) => e.file))(entry))]);
    const accumulator = accumulatorFor(accumulators, key);
    const session = sessions.get(key) ?? { accumulator, first: priced.epochMs, last: priced.epochMs };
    session.first = Math.min(session.first, priced.epochMs);
    session.last = Math.max(session.last, priced.epochMs);
    sessions.set(key, session);
    const cell = { ...priced.tokens, costUSD: priced.costUSD, missingPricing: priced.missingPricing };
    addTo(accumulator.sums, cell, false);
    if (priced.modelName !== undefined) addTo(modelSums(accumulator, priced.modelName), cell, priced.missingPricing);
  }
  const rows = [...sessions].map(([key, { accumulator, first, last }]): SessionRow => {
    const [projectPath, sessionId] = JSON.parse(key) as [string, string];
    return {
      ...periodRow(accumulator),
      sessionId,
      projectPath,
      firstActivity: new Date(first).toISOString(),
      lastActivity: new Date(last).toISOString(),
    };
  });
  // Most expensive first; ccusage 20.0.24 ignores --order for sessions.
  rows.sort((a, b) => b.totalCost - a.totalCost);
  return { sessions: rows, totals: periodTotals(rows) };
}
