import { type AgentPushResult, waitFor } from '@ccsync/testkit';
import { enrollDevices, pushUntilDelivered } from './devices.ts';
import type { Drill } from './drill.ts';
import { startLiveIngest } from './live-ingest.ts';
import { type LiveProbeResult, PROBE_LATE_MS, startLiveProbe } from './live-probe.ts';
import { recoveryFromNow } from './recovery.ts';
import { finalStateProblem, watchAccount } from './resuming-client.ts';
import { type DrillStack, startDrillStack } from './stack.ts';
import { planDrillCorpus } from './transcripts.ts';
import { ccusageOracle, settleAndJudge } from './verdict.ts';

/** Single changes sent after each restart: more than a gateway pulls ahead (100 messages). */
const PROBES = 60;
/** Small batches, so that pushes are under way, request after request, when NATS goes. */
const BATCH_SIZE = 100;

const spooledBy = (results: readonly AgentPushResult[]) =>
  results.reduce((sum, result) => sum + Number(result.spooled ?? 0), 0);
const ready = async (url: string) => (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200;
const everyServiceReady = async (stack: DrillStack) =>
  (await Promise.all([stack.ingest, stack.projector, ...stack.gateways].map((service) => ready(service.url)))).every(
    Boolean,
  );

/**
 * Truths 2 and 4 against the history itself: NATS is killed (SIGKILL; in the full run first
 * stopped with SIGTERM, then killed) while three devices push, and starts again on the same
 * data. Ingest answers 503 while it cannot store; the agents spool and exit 0; their next runs
 * deliver the spool. Services reconnect by themselves, and a connected dashboard keeps hearing
 * every change.
 */
export const natsRestart: Drill = {
  name: 'nats-restart',
  summary:
    'Kill or stop NATS and start it again on the same data while three agents push; the agents spool and retry, a connected dashboard keeps hearing every change; totals must equal ccusage.',
  timeoutMs: (quick) => (quick ? 90_000 : 180_000),
  async run(context) {
    const size = context.quick
      ? { records: 6_000, signals: ['SIGKILL'] as const, slices: 6 }
      : { records: 30_000, signals: ['SIGTERM', 'SIGKILL'] as const, slices: 12 };
    // A publish JetStream cannot take within a second is answered 503 at once: the agents see
    // the outage rather than wait in it.
    const stack = await startDrillStack(context, { env: { INGEST_PUBLISH_TIMEOUT_MS: '1000' } });
    const corpus = planDrillCorpus(context.workDir, { seed: 31, devices: 3, records: size.records }, size.slices);
    const devices = await enrollDevices(stack, corpus.configDirs, context.workDir);
    // A dashboard following the account throughout: it must end with the final totals.
    const watcher = await watchAccount(context, stack);
    const probe = await startLiveProbe(context, stack);
    const ingest = startLiveIngest(context, stack, devices, corpus, BATCH_SIZE);

    const recoveries: number[] = [];
    const probes: LiveProbeResult[] = [];
    const outages: number[] = [];
    let restartsWhilePushing = 0;
    for (const [index, signal] of size.signals.entries()) {
      await ingest.after(Math.floor(((index + 1) * size.slices) / (size.signals.length + 1)));
      if (ingest.pushing) restartsWhilePushing++;
      const recovered = await recoveryFromNow(stack, 'stored');
      const spooledBefore = spooledBy(ingest.results);
      const stoppedAt = performance.now();
      await stack.nats.stop(signal);
      // NATS stays down until an agent had to spool: the outage has reached the devices.
      await waitFor(() => spooledBy(ingest.results) > spooledBefore || !ingest.pushing, {
        timeoutMs: 30_000,
        description: 'an agent to spool',
      });
      await stack.nats.start();
      outages.push(performance.now() - stoppedAt);
      await waitFor(() => everyServiceReady(stack), { timeoutMs: 60_000, description: 'every service to be ready' });
      await recovered();
      recoveries.push(performance.now() - stoppedAt);
      // More changes than the gateways' consumers had pulled ahead before the crash.
      probes.push(await probe.check(PROBES));
      context.log(`restarted NATS (${signal}) after slice ${ingest.pushed}`);
    }

    const results = await ingest.done;
    // Whatever is still in a spool is delivered by the next runs, as the hooks or `watch` would.
    const reruns = await Promise.all(devices.map((device) => pushUntilDelivered(context, device, stack.ingest.url)));
    const oracle = await ccusageOracle(corpus.configDirs, context.workDir);
    const verdict = await settleAndJudge(stack, oracle);
    const watcherProblem = await finalStateProblem(watcher, (await stack.totals()).devices);
    const spooled = spooledBy(results);
    const spoolingRuns = results.filter((result) => Number(result.spooled ?? 0) > 0).length;
    return {
      records: corpus.records,
      faults: size.signals.map((signal) => `NATS ${signal} + restart`).join(', '),
      verdict,
      recovery: {
        measures:
          'from stopping NATS until it was back, every service ready again, and the views held every event stored before the stop',
        samplesMs: recoveries,
      },
      notes: [
        `NATS was down ${outages.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')} (until an agent had spooled); ${restartsWhilePushing} of ${size.signals.length} restarts while the agents were pushing`,
        `after each restart, ${probes.map((result) => `${result.onTime} of ${result.sent}`).join(', ')} single changes reached a client on every gateway within ${PROBE_LATE_MS / 1000} s (slowest ${probes.map((result) => `${Math.round(result.maxMs)} ms`).join(', ')})`,
        `${spoolingRuns} of ${results.length} pushes spooled ${spooled} entries in all; after the last slice, ${reruns.join(', ')} runs per device left every spool empty`,
      ],
      failures: [
        ...(watcherProblem === undefined ? [] : [`a live WebSocket client ${watcherProblem}`]),
        ...probes.flatMap((result, index) =>
          result.onTime === result.sent
            ? []
            : [
                `after restart ${index + 1}, probe ${result.sent} did not reach every gateway's client within ${PROBE_LATE_MS / 1000} s`,
              ],
        ),
      ],
    };
  },
};
