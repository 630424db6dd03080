/**
 * `npm run drill [-- --quick] [--only <name>,…] [--json]`: fault drills against a real
 * multi-process stack. Each drill starts its own private NATS, Redis and services on loopback,
 * injects its faults, and compares the totals with ccusage's over the same transcripts; lost and
 * double-counted usage must be 0. The full run writes drill/results.md; the quick one (CI) only
 * prints. Exit code 1 when any drill fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ccusageBinary } from '@ccsync/testkit';
import { describeMachine } from '../bench/machine.ts';
import type { Drill, DrillContext } from './drill.ts';
import { duplicateDevices } from './duplicate-devices.ts';
import { gatewayKill } from './gateway-kill.ts';
import { natsRestart } from './nats-restart.ts';
import { offlineWeek } from './offline-week.ts';
import { projectorKill } from './projector-kill.ts';
import { redisFlush } from './redis-flush.ts';
import { type DrillResult, jsonReport, markdownReport, passed, terminalReport } from './report.ts';

const DRILLS: readonly Drill[] = [projectorKill, natsRestart, redisFlush, gatewayKill, duplicateDevices, offlineWeek];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const only = flags.only?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !DRILLS.some((drill) => drill.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `Unknown drill ${unknown.join(', ')}; the drills are ${DRILLS.map((drill) => drill.name).join(', ')}\n`,
  );
  process.exit(2);
}
const selected = DRILLS.filter((drill) => only === undefined || only.includes(drill.name));

// Ctrl-C or a CI timeout: stop the drill under way, clean up, then exit.
const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupted.abort(new Error(signal)));

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function runDrill(drill: Drill, quick: boolean): Promise<DrillResult> {
  const workDir = await mkdtemp(join(tmpdir(), `ccsync-drill-${drill.name}-`));
  const controller = new AbortController();
  const cleanups: (() => unknown)[] = [];
  const diagnostics: (() => string)[] = [];
  const context: DrillContext = {
    quick,
    workDir,
    signal: controller.signal,
    defer: (cleanup) => cleanups.push(cleanup),
    diagnose: (describe) => diagnostics.push(describe),
    log: (message) => process.stderr.write(`[${drill.name}] ${message}\n`),
  };
  const started = performance.now();
  const timeoutMs = drill.timeoutMs(quick);
  let timer: NodeJS.Timeout | undefined;
  // The drill's own promise may go on failing after a timeout; only the race decides.
  const running = drill.run(context);
  running.catch(() => undefined);
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
    interrupted.signal.addEventListener('abort', () => reject(new Error('interrupted')), { once: true });
  });
  context.log(`started (${quick ? 'quick' : 'full'}, timeout ${timeoutMs / 1000} s)`);
  let result: DrillResult;
  try {
    const outcome = await Promise.race([running, stopped]);
    result = { drill, outcome, error: undefined, elapsedMs: performance.now() - started };
  } catch (error) {
    result = { drill, outcome: undefined, error: errorText(error), elapsedMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
    controller.abort(new Error('the drill ended'));
  }
  if (!passed(result)) for (const describe of diagnostics) process.stderr.write(describe());
  for (const cleanup of cleanups.reverse()) {
    await Promise.resolve()
      .then(cleanup)
      .catch((error: unknown) => context.log(`cleanup failed: ${errorText(error)}`));
  }
  // A process killed a moment ago may still be letting go of its files.
  await rm(workDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch((error: unknown) =>
    context.log(`could not remove ${workDir}: ${errorText(error)}`),
  );
  context.log(`${passed(result) ? 'passed' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

const started = performance.now();
// Installed once up front, so no drill's time limit pays for the download.
await ccusageBinary();
const results: DrillResult[] = [];
for (const drill of selected) {
  if (interrupted.signal.aborted) break;
  results.push(await runDrill(drill, flags.quick));
}

const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
process.stdout.write(flags.json ? jsonReport(results) : terminalReport(results, color));
if (!flags.quick && only === undefined && !interrupted.signal.aborted) {
  const report = markdownReport(results, await describeMachine(), performance.now() - started);
  await writeFile(fileURLToPath(new URL('results.md', import.meta.url)), report);
}
process.exit(interrupted.signal.aborted ? 130 : results.every(passed) ? 0 : 1);
