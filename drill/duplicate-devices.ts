import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { enrollDevices, push } from './devices.ts';
import type { Drill } from './drill.ts';
import { type DrillStack, startDrillStack } from './stack.ts';
import { writeDrillCorpus } from './transcripts.ts';
import { ccusageOracle, settleAndJudge } from './verdict.ts';

/**
 * Batch sizes of the rounds: the first two cut the history the same way, so they send identical
 * batches (the same event ids, which JetStream drops within its duplicate window); the others
 * cut it differently, so their batches overlap the first ones' ranges as new events, and only the
 * projector's per-entry de-duplication keeps the totals.
 */
const ROUND_BATCH_SIZES = [500, 500, 333, 1000];

/** A project synced between machines: the same transcript on every device, as ccusage would see it. */
async function shareOneTranscript(configDirs: readonly string[]): Promise<string> {
  const [source, ...others] = configDirs;
  if (source === undefined) throw new Error('no devices');
  const projects = join(source, 'projects');
  const files = (await readdir(projects, { recursive: true })).filter((path) => path.endsWith('.jsonl')).sort();
  const shared = files.find((path) => !path.includes('subagents')) ?? files[0];
  if (shared === undefined) throw new Error('no transcript to share');
  for (const dir of others) {
    const target = join(dir, 'projects', shared);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(projects, shared), target);
  }
  return shared;
}

/** Batches JetStream had stored before, as ingest counts them in its Prometheus metrics. */
async function duplicateBatches(stack: DrillStack): Promise<number> {
  const response = await fetch(`${stack.ingest.url}/metrics`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  const line = (await response.text())
    .split('\n')
    .find((text) => text.startsWith('ccsync_ingest_duplicate_batches_total'));
  return Number(line?.split(' ').at(-1) ?? 0);
}

/**
 * Truth 2 against resending: three devices, each pushing its whole history several times at
 * once (as reinstalls that lost their state would), some rounds with identical batches, some cut
 * differently, and one transcript present on all three devices.
 */
export const duplicateDevices: Drill = {
  name: 'duplicate-devices',
  summary:
    'Three devices send their histories several times at once, identical and overlapping batches, one transcript on all three; nothing may count twice.',
  timeoutMs: (quick) => (quick ? 90_000 : 180_000),
  async run(context) {
    const size = context.quick ? { records: 6_000, rounds: 3 } : { records: 30_000, rounds: 4 };
    const stack = await startDrillStack(context);
    const corpus = await writeDrillCorpus(context.workDir, { seed: 41, devices: 3, records: size.records });
    const shared = await shareOneTranscript(corpus.configDirs);
    const oracle = ccusageOracle(corpus.configDirs, context.workDir);
    const devices = await enrollDevices(stack, corpus.configDirs, context.workDir);

    const base = await stack.lastSeq();
    const rounds = ROUND_BATCH_SIZES.slice(0, size.rounds);
    // Every round of every device at once, each with a state of its own: nothing is known sent.
    const results = await Promise.all(
      rounds.flatMap((batchSize, round) =>
        devices.map((device) =>
          push(context, device, stack.ingest.url, {
            batchSize,
            stateDir: join(context.workDir, `state-${device.name}-round-${round}`),
          }),
        ),
      ),
    );
    const verdict = await settleAndJudge(stack, await oracle);
    const sent = results.reduce((sum, result) => sum + Number(result.acknowledged ?? 0), 0);
    const distinct = results
      .slice(0, devices.length)
      .reduce((sum, result) => sum + Number(result.acknowledged ?? 0), 0);
    return {
      records: corpus.records,
      faults: `${rounds.length} concurrent rounds × ${devices.length} devices`,
      verdict,
      recovery: {
        measures: 'from the last push until the views held everything and equaled ccusage',
        samplesMs: verdict.settledMs === undefined ? [] : [verdict.settledMs],
      },
      notes: [
        `${sent} entries acknowledged for ${distinct} distinct ones (batch sizes ${rounds.join(', ')}); ${(await stack.lastSeq()) - base} events stored; ingest answered ${await duplicateBatches(stack)} batches as duplicates; projects/${shared} is on all three devices`,
      ],
      failures: [],
    };
  },
};
