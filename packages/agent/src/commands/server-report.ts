import { ActiveBlockReply, DeviceListReply } from '@ccsync/contracts';
import { type BlocksReport, formatCcusageJson, type PeriodReport, type SessionReport } from '@ccsync/usage';
import pc from 'picocolors';
import { z } from 'zod';
import { AgentError, ExitCode } from '../errors.ts';
import { formatCount, formatUsd, printJson, printLine } from '../output.ts';
import { parseTokenLimit, reportTimeZone } from '../reports/options.ts';
import { periodRows, printBlocksTable, printDevicesTable, printPeriodTable } from '../reports/tables.ts';
import { type GatewayReader, gatewayReader } from '../server/gateway-reader.ts';
import type { AgentSettings } from '../settings.ts';
import type { BlocksReportFlags } from './report.ts';

export interface ServerReportFlags {
  readonly timezone?: string;
  readonly since?: string;
  readonly until?: string;
  readonly order?: string;
  readonly onlyDevice?: string;
  readonly project?: string;
  readonly startOfWeek?: string;
}

// The replies are ccusage's report shapes; these check what the tables read and keep the rest,
// so `--json` prints every field the server sent.
const Totals = z.looseObject({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationTokens: z.number(),
  cacheReadTokens: z.number(),
  totalTokens: z.number(),
  totalCost: z.number(),
});
const Row = Totals.extend({ modelsUsed: z.array(z.string()) }).loose();
type Row = z.infer<typeof Row>;
const reportOf = <Key extends string>(key: Key) =>
  z.looseObject({ totals: Totals }).extend({ [key]: z.array(Row) } as Record<Key, z.ZodArray<typeof Row>>);
const BlocksReply = z.looseObject({
  blocks: z.array(z.looseObject({ startTime: z.string(), totalTokens: z.number() })),
});

type PeriodName = 'daily' | 'weekly' | 'monthly';
const ROW_LABEL = { daily: 'date', weekly: 'week', monthly: 'month' } as const;
const FIRST_COLUMN = { daily: 'Date', weekly: 'Week', monthly: 'Month' } as const;

function query(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) params.set(name, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The devices whose columns a table shows: every device with usage, none when narrowed to one. */
async function deviceColumns(reader: GatewayReader, onlyDevice: string | undefined): Promise<string[]> {
  if (onlyDevice !== undefined) return [];
  const { devices } = await reader.get('/api/devices', DeviceListReply);
  const used = devices.filter((device) => device.entries > 0).map((device) => device.device);
  return used.length > 1 ? used.sort() : [];
}

/**
 * Each device's cost per row, from the same report narrowed to the device: the server counts each
 * message for one device, so a row's device costs add up to its total.
 */
async function costsByDevice(
  devices: readonly string[],
  report: (device: string) => Promise<readonly Record<string, unknown>[]>,
  key: string,
): Promise<Map<string, Map<string, number>>> {
  const byRow = new Map<string, Map<string, number>>();
  const reports = await Promise.all(devices.map(async (device) => [device, await report(device)] as const));
  for (const [device, rows] of reports) {
    for (const row of rows) {
      const label = String(row[key]);
      const costs = byRow.get(label) ?? new Map<string, number>();
      costs.set(device, Number(row.totalCost));
      byRow.set(label, costs);
    }
  }
  return byRow;
}

function checkOrder(order: string | undefined): 'asc' | 'desc' {
  if (order === undefined || order === 'asc' || order === 'desc') return order ?? 'asc';
  throw new AgentError(ExitCode.Usage, `--order takes asc or desc, not "${order}"`);
}

/** `ccsync report daily|weekly|monthly`: the account's report over every device, from the gateway. */
export async function runPeriodReport(
  settings: AgentSettings,
  period: PeriodName,
  flags: ServerReportFlags,
): Promise<void> {
  const reader = gatewayReader(settings);
  const fields = {
    tz: reportTimeZone(flags.timezone),
    since: flags.since,
    until: flags.until,
    order: checkOrder(flags.order),
    project: flags.project,
    ...(period === 'weekly' ? { startOfWeek: flags.startOfWeek } : {}),
  };
  const schema = reportOf(period);
  const read = (device?: string) => reader.get(`/api/stats/${period}${query({ ...fields, device })}`, schema);
  const report = await read(flags.onlyDevice);
  if (settings.json) {
    process.stdout.write(`${formatCcusageJson(report as unknown as PeriodReport)}\n`);
    return;
  }
  const key = ROW_LABEL[period];
  const devices = await deviceColumns(reader, flags.onlyDevice);
  const costs = await costsByDevice(devices, async (device) => (await read(device))[period], key);
  printPeriodTable(
    FIRST_COLUMN[period],
    periodRows(
      report[period] as Row[],
      (row) => String(row[key]),
      (row) => costs.get(String(row[key])) ?? new Map(),
    ),
    report.totals,
    devices,
  );
}

/** `ccsync report session`: the account's sessions over every device, most expensive first. */
export async function runSessionReport(settings: AgentSettings, flags: ServerReportFlags): Promise<void> {
  const reader = gatewayReader(settings);
  const fields = { tz: reportTimeZone(flags.timezone), since: flags.since, until: flags.until, project: flags.project };
  const schema = reportOf('sessions');
  const read = (device?: string) => reader.get(`/api/stats/session${query({ ...fields, device })}`, schema);
  const report = await read(flags.onlyDevice);
  if (settings.json) {
    process.stdout.write(`${formatCcusageJson(report as unknown as SessionReport)}\n`);
    return;
  }
  const devices = await deviceColumns(reader, flags.onlyDevice);
  const costs = await costsByDevice(devices, async (device) => (await read(device)).sessions, 'sessionId');
  printPeriodTable(
    'Session',
    periodRows(
      report.sessions as Row[],
      (row) => String(row.sessionId),
      (row) => costs.get(String(row.sessionId)) ?? new Map(),
    ),
    report.totals,
    devices,
  );
}

/** `ccsync report blocks`: account-wide 5-hour blocks, then the active block's share per device. */
export async function runBlocksReport(
  settings: AgentSettings,
  flags: BlocksReportFlags & ServerReportFlags,
): Promise<void> {
  if (flags.since !== undefined || flags.until !== undefined) {
    throw new AgentError(ExitCode.Usage, '--since and --until narrow blocks with --local only; use --recent');
  }
  const reader = gatewayReader(settings);
  const tokenLimit = parseTokenLimit(flags.tokenLimit);
  const path = `/api/stats/blocks${query({
    device: flags.onlyDevice,
    active: flags.active === true ? 'true' : undefined,
    recent: flags.recent === true ? 'true' : undefined,
    tokenLimit: tokenLimit === undefined ? undefined : String(tokenLimit),
  })}`;
  const report = (await reader.get(path, BlocksReply)) as unknown as BlocksReport;
  if (settings.json) {
    process.stdout.write(`${formatCcusageJson(report)}\n`);
    return;
  }
  printBlocksTable(report);
  if (flags.onlyDevice !== undefined) return;
  const active = await reader.get('/api/blocks/active', ActiveBlockReply);
  if (active.block === null || active.devices.length === 0) return;
  printLine();
  printLine(pc.bold('Active block by device'));
  for (const share of active.devices) {
    const percent = active.block.totalTokens === 0 ? 0 : (share.totalTokens / active.block.totalTokens) * 100;
    printLine(
      `  ${share.device.padEnd(24)} ${formatCount(share.totalTokens).padStart(14)} tokens  ${formatUsd(share.costUSD).padStart(10)}  ${percent.toFixed(1).padStart(5)}%`,
    );
  }
}

/** `ccsync report devices`: every device of the account with its totals and presence. */
export async function runDevicesReport(settings: AgentSettings): Promise<void> {
  const reply = await gatewayReader(settings).get('/api/devices', DeviceListReply);
  if (settings.json) printJson(reply);
  else printDevicesTable(reply.devices);
}
