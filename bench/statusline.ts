/**
 * `ccsync statusline`, as Claude Code runs it several times a second: one process per refresh,
 * Claude Code's JSON on stdin, figures from the cache `watch` keeps. Goal: answer within 50 ms.
 * Node's own start-up, measured in the same run, is the reference. Run alone with
 * `node bench/statusline.ts [runs]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atMost, type BenchmarkResult } from './measure.ts';

const BIN = fileURLToPath(new URL('../packages/agent/bin/ccsync.js', import.meta.url));
const GOAL_MS = 50;

/** Wall times of `runs` runs, in ms, sorted. */
function timesOf(runs: number, args: string[], input: string): number[] {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { input, env: { ...process.env, NO_COLOR: '1' } });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}
const quantile = (times: number[], q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;

export async function statuslineBenchmarks(runs: number): Promise<BenchmarkResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'ccsync-bench-statusline-'));
  const now = Date.now();
  const start = Math.floor(now / 3_600_000) * 3_600_000;
  await writeFile(
    join(stateDir, 'statusline.json'),
    JSON.stringify({
      version: 1,
      writtenAt: new Date(now).toISOString(),
      account: 'default',
      block: {
        startTime: new Date(start).toISOString(),
        endTime: new Date(start + 5 * 3_600_000).toISOString(),
        totalTokens: 1_234_567,
        costUSD: 4.2,
      },
      today: { date: new Date(now).toISOString().slice(0, 10), timeZone: 'UTC', costUSD: 12.34 },
      rateLimits: null,
    }),
  );
  const resetsAt = Math.floor(now / 1000) + 3600;
  const input = JSON.stringify({
    session_id: 'bench',
    model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
    rate_limits: {
      five_hour: { used_percentage: 42, resets_at: resetsAt },
      seven_day: { used_percentage: 13, resets_at: resetsAt + 86_400 },
    },
  });
  const args = [BIN, 'statusline', '--state-dir', stateDir];
  timesOf(3, args, input); // fills Node's compile cache, as the first refresh of a session does
  const ours = timesOf(runs, args, input);
  const node = timesOf(runs, ['-e', '0'], '');
  await rm(stateDir, { recursive: true, force: true });
  const median = quantile(ours, 0.5);
  return {
    name: 'Status line',
    setup: `\`ccsync statusline\` with Claude Code's JSON on stdin and a fresh cache, ${runs} runs after 3 warm-up runs.`,
    figures: [
      {
        metric: 'median wall time of one `ccsync statusline`',
        value: `${median.toFixed(0)} ms (p90 ${quantile(ours, 0.9).toFixed(0)} ms)`,
        reference: `\`node -e 0\` ${quantile(node, 0.5).toFixed(0)} ms`,
        ratio: `+${(median - quantile(node, 0.5)).toFixed(0)} ms over Node's start-up`,
        goal: `≤ ${GOAL_MS} ms`,
        ...atMost(median, GOAL_MS),
      },
    ],
    limits: "Most of the time is Node's own start-up; the status line adds its modules, the cache read and one write.",
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await statuslineBenchmarks(Number(process.argv[2] ?? 50));
  for (const figure of result.figures)
    process.stdout.write(
      `${figure.metric}: ${figure.value}; ${figure.reference}; ${figure.ratio}; goal ${figure.goal}\n`,
    );
}
