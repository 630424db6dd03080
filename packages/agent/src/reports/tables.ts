import type { DeviceListReply } from '@ccsync/contracts';
import type { BlocksReport, PeriodTotals } from '@ccsync/usage';
import Table from 'cli-table3';
import pc from 'picocolors';
import { formatCount, formatUsd, printLine } from '../output.ts';

/** A report row as the tables show it: the ccusage columns, and optional per-device figures. */
export interface PeriodTableRow extends PeriodTotals {
  readonly label: string;
  readonly models: readonly string[];
  /** The cost each device contributed to this row, by device id. */
  readonly devices?: ReadonlyMap<string, number>;
}

// Terminal escape sequences, to measure what a rendered line takes on screen.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleWidth = (line: string) => line.replace(ANSI, '').length;

function newTable(head: string[], colAligns: ('left' | 'right')[]): Table.Table {
  return new Table({
    head,
    colAligns,
    style: pc.isColorSupported ? { head: ['cyan'] } : { head: [], border: [] },
  });
}

/**
 * Prints the widest form that fits the terminal (all columns when stdout is not one), as ccusage
 * does: cache columns and per-device columns go first on a narrow screen, with a note saying so.
 */
function printFitting(forms: readonly (() => string)[], note: string): void {
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  for (const [index, render] of forms.entries()) {
    const text = render();
    const widest = Math.max(...text.split('\n').map(visibleWidth));
    if (width === undefined || widest <= width || index === forms.length - 1) {
      printLine(text);
      if (index > 0) printLine(pc.dim(note));
      return;
    }
  }
}

/** Report rows (daily, weekly, monthly or sessions) as table rows, labelled by `label`. */
export function periodRows<Row extends PeriodTotals & { readonly modelsUsed: readonly string[] }>(
  rows: readonly Row[],
  label: (row: Row) => string,
  devices?: (row: Row) => ReadonlyMap<string, number>,
): PeriodTableRow[] {
  return rows.map((row) => ({
    ...row,
    label: label(row),
    models: row.modelsUsed,
    ...(devices === undefined ? {} : { devices: devices(row) }),
  }));
}

/**
 * A daily, weekly, monthly or session table: ccusage's columns, then one cost column per device
 * when the rows carry them.
 */
export function printPeriodTable(
  firstColumn: string,
  rows: readonly PeriodTableRow[],
  totals: PeriodTotals,
  devices: readonly string[] = [],
): void {
  const render = (detail: 'full' | 'no-devices' | 'compact') => () => {
    const shown = detail === 'full' ? devices : [];
    const wide = detail !== 'compact';
    const table = newTable(
      [
        firstColumn,
        'Models',
        'Input',
        'Output',
        ...(wide ? ['Cache create', 'Cache read', 'Total tokens'] : []),
        'Cost (USD)',
        ...shown,
      ],
      [
        'left',
        'left',
        'right',
        'right',
        ...(wide ? (['right', 'right', 'right'] as const) : []),
        'right',
        ...shown.map(() => 'right' as const),
      ],
    );
    const cells = (row: PeriodTotals) => [
      formatCount(row.inputTokens),
      formatCount(row.outputTokens),
      ...(wide
        ? [formatCount(row.cacheCreationTokens), formatCount(row.cacheReadTokens), formatCount(row.totalTokens)]
        : []),
      formatUsd(row.totalCost),
    ];
    for (const row of rows) {
      const perDevice = shown.map((device) => {
        const cost = row.devices?.get(device);
        return cost === undefined ? '' : formatUsd(cost);
      });
      table.push([row.label, row.models.join('\n'), ...cells(row), ...perDevice]);
    }
    table.push([pc.bold('Total'), '', ...cells(totals), ...shown.map(() => '')]);
    return table.toString();
  };
  printFitting(
    [render('full'), render('no-devices'), render('compact')],
    devices.length > 1
      ? 'Some columns are hidden: widen the terminal to see cache tokens and each device’s cost.'
      : 'Some columns are hidden: widen the terminal to see cache tokens.',
  );
}

/** The blocks table; `--token-limit` adds the active block's projected share of the limit, as ccusage's does. */
export function printBlocksTable(report: BlocksReport): void {
  const limited = report.blocks.some((block) => block.tokenLimitStatus !== undefined);
  const render = (wide: boolean) => () => {
    const table = newTable(
      [
        'Block start',
        'Status',
        ...(wide ? ['Models'] : []),
        'Tokens',
        ...(limited ? ['Projected % of limit'] : []),
        'Cost (USD)',
        ...(wide ? ['Burn rate'] : []),
      ],
      [
        'left',
        'left',
        ...(wide ? (['left'] as const) : []),
        'right',
        ...(limited ? (['right'] as const) : []),
        'right',
        ...(wide ? (['right'] as const) : []),
      ],
    );
    for (const block of report.blocks) {
      const status = block.isGap ? 'gap' : block.isActive ? pc.green('ACTIVE') : '';
      const rate = block.burnRate ? `${formatCount(Math.round(block.burnRate.tokensPerMinute))} tok/min` : '';
      const limit = block.tokenLimitStatus;
      const percent =
        limit?.percentUsed == null ? '' : colorByShare(limit.percentUsed / 100, `${limit.percentUsed.toFixed(1)}%`);
      table.push([
        block.startTime,
        status,
        ...(wide ? [block.models.join('\n')] : []),
        formatCount(block.totalTokens),
        ...(limited ? [percent] : []),
        formatUsd(block.costUSD),
        ...(wide ? [rate] : []),
      ]);
    }
    return table.toString();
  };
  printFitting(
    [render(true), render(false)],
    'Some columns are hidden: widen the terminal to see models and burn rates.',
  );
}

/** Green, then yellow from 80 %, red from 95 %: the warning levels the monitor uses too. */
export function colorByShare(share: number, text: string): string {
  if (share >= 0.95) return pc.red(text);
  if (share >= 0.8) return pc.yellow(text);
  return pc.green(text);
}

/** The account's devices: presence first, then the totals. */
export function printDevicesTable(devices: DeviceListReply['devices']): void {
  const render = (wide: boolean) => () => {
    const table = newTable(
      [
        'Device',
        'Status',
        ...(wide ? ['Last seen', 'Input', 'Output', 'Cache create', 'Cache read'] : []),
        'Total tokens',
        'Cost (USD)',
      ],
      ['left', 'left', ...(wide ? (['left', 'right', 'right', 'right', 'right'] as const) : []), 'right', 'right'],
    );
    for (const device of devices) {
      const seen = device.lastHeartbeatAt ?? device.updatedAt;
      table.push([
        device.device,
        device.online ? pc.green('● online') : pc.dim('○ offline'),
        ...(wide
          ? [
              seen === null ? '' : new Date(seen).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' }),
              formatCount(device.inputTokens),
              formatCount(device.outputTokens),
              formatCount(device.cacheCreationTokens),
              formatCount(device.cacheReadTokens),
            ]
          : []),
        formatCount(device.totalTokens),
        formatUsd(device.totalCost),
      ]);
    }
    return table.toString();
  };
  printFitting([render(true), render(false)], 'Some columns are hidden: widen the terminal to see every token count.');
}
