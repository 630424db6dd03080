import { enrollDevices } from './devices.ts';
import type { Drill } from './drill.ts';
import { randomPointOfProjection, startLiveIngest } from './live-ingest.ts';
import { recoveryFromNow } from './recovery.ts';
import { finalStateProblem, watchAccount } from './resuming-client.ts';
import { startDrillStack } from './stack.ts';
import { planDrillCorpus } from './transcripts.ts';
import { ccusageOracle, settleAndJudge } from './verdict.ts';

const BATCH_SIZE = 200;

/**
 * Truth 2 against the projector: it is SIGKILLed at random points of its work while two devices
 * push growing histories (200k usage lines; 20k quick), and started again each time. Applying is
 * one guarded MULTI per batch before the ack, so a kill anywhere means redelivery of what was not
 * acknowledged, and redelivery must change nothing.
 */
export const projectorKill: Drill = {
  name: 'projector-kill',
  summary:
    'SIGKILL the projector at random points of a large ingest, restarting it each time; totals must equal ccusage.',
  timeoutMs: (quick) => (quick ? 90_000 : 300_000),
  async run(context) {
    const size = context.quick ? { records: 20_000, kills: 2, slices: 6 } : { records: 200_000, kills: 5, slices: 16 };
    const stack = await startDrillStack(context);
    const corpus = planDrillCorpus(context.workDir, { seed: 77, devices: 2, records: size.records }, size.slices);
    const devices = await enrollDevices(stack, corpus.configDirs, context.workDir);
    // A dashboard following the account throughout: it must end with the final totals.
    const watcher = await watchAccount(context, stack);
    const base = await stack.lastSeq();
    const ingest = startLiveIngest(context, stack, devices, corpus, BATCH_SIZE);

    const recoveries: Promise<number>[] = [];
    const killedAt: number[] = [];
    let killedWhilePushing = 0;
    for (let kill = 1; kill <= size.kills; kill++) {
      // Spread over the ingest, each at a random point of what the projector has still to apply.
      await ingest.after(Math.floor((kill * size.slices) / (size.kills + 1)));
      await randomPointOfProjection(stack);
      const recovered = await recoveryFromNow(stack, 'applied');
      killedAt.push((await stack.checkpoint()) - base);
      if (ingest.pushing) killedWhilePushing++;
      await stack.restartProjector();
      recoveries.push(recovered());
      context.log(`killed the projector after it applied event ${killedAt.at(-1)}`);
    }

    const results = await ingest.done;
    const oracle = await ccusageOracle(corpus.configDirs, context.workDir);
    const verdict = await settleAndJudge(stack, oracle);
    const watcherProblem = await finalStateProblem(watcher, (await stack.totals()).devices);
    const samplesMs = await Promise.all(recoveries);
    const acknowledged = results.reduce((sum, result) => sum + Number(result.acknowledged ?? 0), 0);
    return {
      records: corpus.records,
      faults: `${size.kills} × SIGKILL projector`,
      verdict,
      recovery: {
        measures:
          'from each SIGKILL until a restarted projector had applied and acknowledged every event the killed one had applied (those it held unacknowledged come back after the 10 s ack wait of the consumer)',
        samplesMs,
      },
      notes: [
        `${acknowledged} entries acknowledged in ${(await stack.lastSeq()) - base} events of up to ${BATCH_SIZE}, pushed in ${size.slices} slices; kills after events ${killedAt.join(', ')}, ${killedWhilePushing} of ${size.kills} while the agents were still pushing`,
      ],
      failures: watcherProblem === undefined ? [] : [`a live WebSocket client ${watcherProblem}`],
    };
  },
};
