import { type CcusageBlock, CcusageDailyReport } from '@ccsync/contracts';
import { ccusageJson, reportDifferences, waitFor } from '@ccsync/testkit';
import type { DrillStack } from './stack.ts';

/** ccusage 20.0.24's reports over the union of every device's transcripts: the expected numbers. */
export interface Oracle {
  readonly daily: CcusageDailyReport;
  readonly blocks: { readonly blocks: readonly CcusageBlock[] };
}

/** Runs ccusage over the devices' config directories, combined as a `CLAUDE_CONFIG_DIR` list. */
export async function ccusageOracle(configDirs: readonly string[], home: string): Promise<Oracle> {
  const [daily, blocks] = await Promise.all([
    ccusageJson(['daily', '-z', 'UTC'], configDirs, home),
    ccusageJson(['blocks'], configDirs, home),
  ]);
  return { daily: CcusageDailyReport.parse(daily), blocks: blocks as Oracle['blocks'] };
}

const TOKEN_KINDS = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'] as const;
type TokenKind = (typeof TOKEN_KINDS)[number];

/** Token counts by kind, and entries (messages counted), that one side has beyond the other. */
export type Tally = Record<TokenKind | 'entries', number>;

export interface Verdict {
  /** What ccusage counts and ccsync lacks, per day and model (tokens) and per block (entries). */
  readonly lost: Tally;
  /** What ccsync counts beyond ccusage, likewise. */
  readonly doubled: Tally;
  /** Every other difference from ccusage's daily and blocks reports: costs, models, block bounds. */
  readonly differences: readonly string[];
  /** From the start of settling until the views held the whole history and equaled ccusage's totals. */
  readonly settledMs: number | undefined;
  readonly passed: boolean;
}

const zero = (): Tally => ({ inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, entries: 0 });
export const tokensOf = (tally: Tally): number => TOKEN_KINDS.reduce((sum, kind) => sum + tally[kind], 0);

/** Adds `ours - theirs` to `doubled` when positive and to `lost` when negative. */
function tallyDifference(lost: Tally, doubled: Tally, kind: keyof Tally, ours: number, theirs: number): void {
  if (ours > theirs) doubled[kind] += ours - theirs;
  else lost[kind] += theirs - ours;
}

type Breakdown = Record<TokenKind, number>;
/** Each (day, model) row of a daily report, keyed `YYYY-MM-DD model`. */
function dayModelRows(report: CcusageDailyReport): Map<string, Breakdown> {
  const rows = new Map<string, Breakdown>();
  for (const day of report.daily) {
    for (const model of day.modelBreakdowns) rows.set(`${day.date} ${model.modelName}`, model);
  }
  return rows;
}

/** Loss and double counting, by kind, of a daily and a blocks report against ccusage's. */
export function judge(ourDaily: unknown, ourBlocks: unknown, oracle: Oracle, settledMs: number | undefined): Verdict {
  const lost = zero();
  const doubled = zero();
  const ours = dayModelRows(CcusageDailyReport.parse(ourDaily));
  const theirs = dayModelRows(oracle.daily);
  for (const key of new Set([...ours.keys(), ...theirs.keys()])) {
    for (const kind of TOKEN_KINDS)
      tallyDifference(lost, doubled, kind, ours.get(key)?.[kind] ?? 0, theirs.get(key)?.[kind] ?? 0);
  }
  const entriesByBlock = (blocks: readonly CcusageBlock[]) => new Map(blocks.map((block) => [block.id, block.entries]));
  const ourEntries = entriesByBlock((ourBlocks as Oracle['blocks']).blocks ?? []);
  const theirEntries = entriesByBlock(oracle.blocks.blocks);
  for (const id of new Set([...ourEntries.keys(), ...theirEntries.keys()])) {
    tallyDifference(lost, doubled, 'entries', ourEntries.get(id) ?? 0, theirEntries.get(id) ?? 0);
  }
  const differences = [
    ...reportDifferences(ourDaily, oracle.daily, '$daily'),
    ...reportDifferences(ourBlocks, oracle.blocks, '$blocks'),
  ];
  const clean = (tally: Tally) => Object.values(tally).every((value) => value === 0);
  return { lost, doubled, differences, settledMs, passed: clean(lost) && clean(doubled) && differences.length === 0 };
}

/**
 * Waits for the views to hold the whole history and equal ccusage's totals, then compares the
 * account's daily report (UTC) and 5-hour blocks, as the gateway serves them, with ccusage's.
 * Never throws on a mismatch: the verdict says by how much.
 */
export async function settleAndJudge(stack: DrillStack, oracle: Oracle, timeoutMs = 120_000): Promise<Verdict> {
  const started = performance.now();
  const expected = oracle.daily.totals;
  let settledMs: number | undefined;
  try {
    await waitFor(
      async () => {
        if (!(await stack.caughtUp())) return false;
        const { totals } = await stack.totals();
        return TOKEN_KINDS.every((kind) => totals[kind] === expected[kind]);
      },
      { timeoutMs, intervalMs: 100, description: 'the views to equal ccusage' },
    );
    settledMs = performance.now() - started;
  } catch {
    // They never did: the comparison below says how they differ.
  }
  const [daily, blocks] = await Promise.all([stack.read('/api/stats/daily?tz=UTC'), stack.read('/api/stats/blocks')]);
  return judge(daily, blocks, oracle, settledMs);
}
