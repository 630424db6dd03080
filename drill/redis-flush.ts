import { ProjectionsReply } from '@ccsync/contracts';
import { enrollDevices } from './devices.ts';
import type { Drill } from './drill.ts';
import { randomPointOfProjection, startLiveIngest } from './live-ingest.ts';
import { recoveryFromNow } from './recovery.ts';
import { finalStateProblem, watchAccount } from './resuming-client.ts';
import { startDrillStack } from './stack.ts';
import { planDrillCorpus } from './transcripts.ts';
import { ccusageOracle, settleAndJudge } from './verdict.ts';

const BATCH_SIZE = 250;

/**
 * Truth 3 under fire: Redis loses every view (FLUSHALL) while two devices push. Nobody is asked
 * to do anything: the projector must notice that the registry is gone and rebuild a new version
 * from the history, while ingest goes on.
 */
export const redisFlush: Drill = {
  name: 'redis-flush',
  summary: 'FLUSHALL Redis during ingest; the projector must rebuild the views from the history by itself.',
  timeoutMs: (quick) => (quick ? 90_000 : 180_000),
  async run(context) {
    const size = context.quick
      ? { records: 10_000, flushes: 1, slices: 6 }
      : { records: 60_000, flushes: 2, slices: 12 };
    const stack = await startDrillStack(context);
    const corpus = planDrillCorpus(context.workDir, { seed: 53, devices: 2, records: size.records }, size.slices);
    const devices = await enrollDevices(stack, corpus.configDirs, context.workDir);
    // A dashboard following the account throughout: it must end with the final totals.
    const watcher = await watchAccount(context, stack);
    const ingest = startLiveIngest(context, stack, devices, corpus, BATCH_SIZE);

    const recoveries: Promise<number>[] = [];
    const lostViews: number[] = [];
    let flushedWhilePushing = 0;
    for (let flush = 1; flush <= size.flushes; flush++) {
      await ingest.after(Math.floor((flush * size.slices) / (size.flushes + 1)));
      await randomPointOfProjection(stack);
      const recovered = await recoveryFromNow(stack, 'applied');
      lostViews.push(await stack.checkpoint());
      if (ingest.pushing) flushedWhilePushing++;
      await stack.redisClient.flushall();
      recoveries.push(recovered());
      context.log(`flushed Redis, losing views of ${lostViews.at(-1)} events`);
    }

    const results = await ingest.done;
    const oracle = await ccusageOracle(corpus.configDirs, context.workDir);
    const verdict = await settleAndJudge(stack, oracle);
    const watcherProblem = await finalStateProblem(watcher, (await stack.totals()).devices);
    const samplesMs = await Promise.all(recoveries);
    const { projections } = ProjectionsReply.parse(await stack.read('/api/admin/projections'));
    const active = projections.find((entry) => entry.state === 'active');
    const acknowledged = results.reduce((sum, result) => sum + Number(result.acknowledged ?? 0), 0);
    return {
      records: corpus.records,
      faults: `${size.flushes} × FLUSHALL`,
      verdict,
      recovery: {
        measures:
          'from each FLUSHALL until a new projection version, built by the projector unasked, held and acknowledged every event the lost views held',
        samplesMs,
      },
      notes: [
        `${acknowledged} entries acknowledged; the flushes lost views of ${lostViews.join(', ')} events, ${flushedWhilePushing} of ${size.flushes} while the agents were pushing; reads now come from version ${active?.version} (${active?.reason})`,
      ],
      failures: watcherProblem === undefined ? [] : [`a live WebSocket client ${watcherProblem}`],
    };
  },
};
