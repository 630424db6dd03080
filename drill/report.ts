import type { Drill, DrillOutcome } from './drill.ts';
import { describeRecovery, seconds } from './recovery.ts';
import { type Tally, tokensOf } from './verdict.ts';

/** One drill's result: its outcome, or why it could not finish. */
export interface DrillResult {
  readonly drill: Drill;
  readonly outcome: DrillOutcome | undefined;
  readonly error: string | undefined;
  readonly elapsedMs: number;
}

export const passed = ({ outcome, error }: DrillResult): boolean =>
  error === undefined && outcome !== undefined && outcome.verdict.passed && outcome.failures.length === 0;

/** `0`, or `1,204 tokens, 3 entries`: what one side has beyond the other. */
function amount(tally: Tally): string {
  const tokens = tokensOf(tally);
  if (tokens === 0 && tally.entries === 0) return '0';
  return `${tokens.toLocaleString('en-US')} tokens, ${tally.entries.toLocaleString('en-US')} entries`;
}

const HEADER = ['Drill', 'Records', 'Faults', 'Lost', 'Doubled', 'Recovery', 'Time', 'Verdict'];

function row(result: DrillResult): string[] {
  const { drill, outcome, error, elapsedMs } = result;
  const verdict = passed(result) ? 'pass' : 'FAIL';
  if (outcome === undefined) return [drill.name, '', '', '', '', '', seconds(elapsedMs), `${verdict} (${error})`];
  return [
    drill.name,
    outcome.records.toLocaleString('en-US'),
    outcome.faults,
    amount(outcome.verdict.lost),
    amount(outcome.verdict.doubled),
    describeRecovery(outcome.recovery),
    seconds(elapsedMs),
    verdict,
  ];
}

/** What went wrong and what else was measured, one line each. */
function details(result: DrillResult): string[] {
  const { outcome, error } = result;
  const lines: string[] = [];
  if (error !== undefined) lines.push(`error: ${error}`);
  if (outcome === undefined) return lines;
  const { measures, samplesMs } = outcome.recovery;
  const samples =
    samplesMs.length > 10
      ? `${describeRecovery(outcome.recovery)} over ${samplesMs.length}`
      : samplesMs.map(seconds).join(', ');
  lines.push(`recovery: ${measures}: ${samples || 'none'}`);
  const { settledMs, differences, lost, doubled } = outcome.verdict;
  lines.push(
    settledMs === undefined
      ? 'the views never equaled ccusage'
      : `views equal to ccusage ${seconds(settledMs)} after the last push`,
  );
  if (!outcome.verdict.passed)
    lines.push(`lost by kind ${JSON.stringify(lost)}; doubled by kind ${JSON.stringify(doubled)}`);
  lines.push(...outcome.notes, ...outcome.failures.map((failure) => `FAILED: ${failure}`));
  lines.push(...differences.slice(0, 10).map((difference) => `differs from ccusage: ${difference}`));
  if (differences.length > 10) lines.push(`… and ${differences.length - 10} more differences`);
  return lines;
}

/** The table for a terminal: aligned columns, the verdict in color unless NO_COLOR or not a TTY. */
export function terminalReport(results: readonly DrillResult[], color: boolean): string {
  const rows = [HEADER, ...results.map(row)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length)));
  const paint = (text: string, ok: boolean) => (color ? `\u001b[${ok ? 32 : 31}m${text}\u001b[0m` : text);
  const lines = rows.map((cells, index) => {
    const text = cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
    const result = results[index - 1];
    return result === undefined ? text : paint(text, passed(result));
  });
  for (const result of results) {
    lines.push('', `${result.drill.name}: ${result.drill.summary}`, ...details(result).map((line) => `  ${line}`));
  }
  return `${lines.join('\n')}\n`;
}

/** drill/results.md: the machine, the table, then each drill's design and details. */
export function markdownReport(
  results: readonly DrillResult[],
  machine: Record<string, string>,
  elapsedMs: number,
): string {
  const cells = (values: readonly string[]) => `| ${values.map((value) => value.replaceAll('|', '\\|')).join(' | ')} |`;
  const lines = [
    '# Fault drills',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run drill\` in ${seconds(elapsedMs)}. Each drill starts a stack of its own (private \`nats-server -js\` and \`redis-server\` on loopback, each service as its own process), injects its faults, and compares the gateway's daily report (UTC) and 5-hour blocks with ccusage 20.0.24's over the union of the devices' transcripts. Lost and doubled are token counts per day and model, and entries per block, that one side has beyond the other: both must be 0.`,
    '',
    '| Machine | |',
    '| --- | --- |',
    ...Object.entries(machine).map(([key, value]) => cells([key, value])),
    '',
    cells(HEADER),
    cells(HEADER.map(() => '---')),
    ...results.map((result) => cells(row(result))),
    '',
  ];
  for (const result of results) {
    lines.push(
      `## ${result.drill.name}`,
      '',
      result.drill.summary,
      '',
      ...details(result).map((line) => `- ${line}`),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `--json`: everything measured, for machines. */
export function jsonReport(results: readonly DrillResult[]): string {
  return `${JSON.stringify(
    results.map(({ drill, outcome, error, elapsedMs }) => ({
      drill: drill.name,
      passed: passed({ drill, outcome, error, elapsedMs }),
      elapsedMs: Math.round(elapsedMs),
      error,
      ...(outcome && {
        records: outcome.records,
        faults: outcome.faults,
        lost: outcome.verdict.lost,
        doubled: outcome.verdict.doubled,
        differences: outcome.verdict.differences,
        settledMs: outcome.verdict.settledMs === undefined ? null : Math.round(outcome.verdict.settledMs),
        recovery: { measures: outcome.recovery.measures, samplesMs: outcome.recovery.samplesMs.map(Math.round) },
        notes: outcome.notes,
        failures: outcome.failures,
      }),
    })),
    null,
    2,
  )}\n`;
}
