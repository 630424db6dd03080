import type { UsageEntry } from '@ccsync/contracts';
import {
  type BlocksReport,
  blocksReport,
  type DailyReport,
  dailyReport,
  formatCcusageJson,
  loadPricingTable,
  type PricingTable,
  PricingTableError,
} from '@ccsync/usage';
import Table from 'cli-table3';
import pc from 'picocolors';
import { AgentError, ExitCode } from '../errors.ts';
import { formatCount, printLine } from '../output.ts';
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
async function readLocalEntries(settings: AgentSettings): Promise<UsageEntry[]> {
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

function timezoneOf(flags: DailyReportFlags): string {
  const timezone = flags.timezone ?? 'local';
  if (timezone !== 'local' && !isTimeZone(timezone)) {
    throw new AgentError(ExitCode.Usage, `Unknown timezone "${timezone}": use an IANA name such as Europe/Berlin`);
  }
  return timezone;
}

export interface BlocksReportFlags extends DailyReportFlags {
  readonly active?: boolean;
  readonly recent?: boolean;
  readonly tokenLimit?: string;
}

/** `ccsync report blocks --local`: this machine's 5-hour blocks, as `ccusage claude blocks` reports them. */
export async function runBlocksReport(settings: AgentSettings, flags: BlocksReportFlags): Promise<void> {
  const pricing = await pricingTable(flags.pricing);
  const timezone = timezoneOf(flags);
  let tokenLimit: number | 'max' | undefined;
  if (flags.tokenLimit !== undefined) {
    tokenLimit = flags.tokenLimit === 'max' ? 'max' : Number(flags.tokenLimit);
    if (tokenLimit !== 'max' && !(Number.isInteger(tokenLimit) && tokenLimit > 0)) {
      throw new AgentError(
        ExitCode.Usage,
        `--token-limit takes a positive whole number or "max", not "${flags.tokenLimit}"`,
      );
    }
  }
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
  const timezone = timezoneOf(flags);
  const report = dailyReport(await readLocalEntries(settings), {
    timezone,
    pricing,
    ...(flags.since === undefined ? {} : { since: flags.since }),
    ...(flags.until === undefined ? {} : { until: flags.until }),
  });
  if (settings.json) process.stdout.write(`${formatCcusageJson(report)}\n`);
  else printDailyTable(report);
}

/** Any name Intl accepts, aliases such as Asia/Kolkata included. */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function printDailyTable(report: DailyReport): void {
  const table = new Table({
    head: ['Date', 'Models', 'Input', 'Output', 'Cache create', 'Cache read', 'Total tokens', 'Cost (USD)'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: pc.isColorSupported ? { head: ['cyan'] } : { head: [], border: [] },
  });
  const money = (value: number) => `$${value.toFixed(2)}`;
  for (const day of report.daily) {
    table.push([
      day.date,
      day.modelsUsed.join('\n'),
      formatCount(day.inputTokens),
      formatCount(day.outputTokens),
      formatCount(day.cacheCreationTokens),
      formatCount(day.cacheReadTokens),
      formatCount(day.totalTokens),
      money(day.totalCost),
    ]);
  }
  const { totals } = report;
  table.push([
    'Total',
    '',
    formatCount(totals.inputTokens),
    formatCount(totals.outputTokens),
    formatCount(totals.cacheCreationTokens),
    formatCount(totals.cacheReadTokens),
    formatCount(totals.totalTokens),
    money(totals.totalCost),
  ]);
  printLine(table.toString());
}

function printBlocksTable(report: BlocksReport): void {
  const table = new Table({
    head: ['Block start', 'Status', 'Models', 'Tokens', 'Cost (USD)', 'Burn rate'],
    colAligns: ['left', 'left', 'left', 'right', 'right', 'right'],
    style: pc.isColorSupported ? { head: ['cyan'] } : { head: [], border: [] },
  });
  for (const block of report.blocks) {
    const status = block.isGap ? 'gap' : block.isActive ? 'ACTIVE' : '';
    const rate = block.burnRate ? `${formatCount(Math.round(block.burnRate.tokensPerMinute))} tok/min` : '';
    table.push([
      block.startTime,
      status,
      block.models.join('\n'),
      formatCount(block.totalTokens),
      `$${block.costUSD.toFixed(2)}`,
      rate,
    ]);
  }
  printLine(table.toString());
}
