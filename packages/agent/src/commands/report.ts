import type { UsageEntry } from '@ccsync/contracts';
import {
  blocksReport,
  dailyReport,
  formatCcusageJson,
  loadPricingTable,
  type PricingTable,
  PricingTableError,
} from '@ccsync/usage';
import { AgentError, ExitCode } from '../errors.ts';
import { checkedTimeZone, parseTokenLimit } from '../reports/options.ts';
import { periodRows, printBlocksTable, printPeriodTable } from '../reports/tables.ts';
import type { AgentSettings } from '../settings.ts';
import { findProjectsDirs } from '../transcripts/claude-dirs.ts';
import { discoverTranscripts } from '../transcripts/discover-files.ts';
import { readUsage } from '../transcripts/read-usage.ts';

export interface DailyReportFlags {
  readonly timezone?: string;
  readonly since?: string;
  readonly until?: string;
  readonly pricing?: string;
}

/** Every usage entry of this machine's transcripts, in ccusage's file order. */
export async function readLocalEntries(settings: AgentSettings): Promise<UsageEntry[]> {
  const projectsDirs = await findProjectsDirs(settings.claudeDirs);
  if (projectsDirs.length === 0) {
    throw new AgentError(ExitCode.NoTranscripts, 'No Claude Code data found (expected a projects/ directory)');
  }
  const entries: UsageEntry[] = [];
  for (const file of discoverTranscripts(projectsDirs)) {
    for (const entry of readUsage(file, 0).entries) entries.push(entry);
  }
  return entries;
}

async function pricingTable(path: string | undefined): Promise<PricingTable> {
  try {
    return await loadPricingTable(path);
  } catch (error) {
    if (error instanceof PricingTableError) throw new AgentError(ExitCode.Usage, error.message);
    throw error;
  }
}

export interface BlocksReportFlags extends DailyReportFlags {
  readonly active?: boolean;
  readonly recent?: boolean;
  readonly tokenLimit?: string;
}

/** `ccsync report blocks --local`: this machine's 5-hour blocks, as `ccusage claude blocks` reports them. */
export async function runBlocksReport(settings: AgentSettings, flags: BlocksReportFlags): Promise<void> {
  const pricing = await pricingTable(flags.pricing);
  const timezone = flags.timezone === undefined ? 'local' : checkedTimeZone(flags.timezone);
  const tokenLimit = parseTokenLimit(flags.tokenLimit);
  const report = blocksReport(await readLocalEntries(settings), {
    now: Date.now(),
    pricing,
    timezone,
    ...(tokenLimit === undefined ? {} : { tokenLimit }),
    ...(flags.active === true ? { active: true } : {}),
    ...(flags.recent === true ? { recent: true } : {}),
    ...(flags.since === undefined ? {} : { since: flags.since }),
    ...(flags.until === undefined ? {} : { until: flags.until }),
  });
  if (settings.json) process.stdout.write(`${formatCcusageJson(report)}\n`);
  else printBlocksTable(report);
}

/** `ccsync report daily --local`: the report `ccusage claude daily` prints, from the same rules. */
export async function runDailyReport(settings: AgentSettings, flags: DailyReportFlags): Promise<void> {
  const pricing = await pricingTable(flags.pricing);
  const timezone = flags.timezone === undefined ? 'local' : checkedTimeZone(flags.timezone);
  const report = dailyReport(await readLocalEntries(settings), {
    timezone,
    pricing,
    ...(flags.since === undefined ? {} : { since: flags.since }),
    ...(flags.until === undefined ? {} : { until: flags.until }),
  });
  if (settings.json) process.stdout.write(`${formatCcusageJson(report)}\n`);
  else
    printPeriodTable(
      'Date',
      periodRows(report.daily, (day) => day.date),
      report.totals,
    );
}
