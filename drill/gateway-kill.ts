import type { DeviceUsage } from '@ccsync/contracts';
import { waitFor } from '@ccsync/testkit';
import { enrollDevices } from './devices.ts';
import type { Drill } from './drill.ts';
import { startLiveIngest } from './live-ingest.ts';
import { seconds } from './recovery.ts';
import { openResumingClient, type ResumingClient, staleTotals } from './resuming-client.ts';
import { startDrillStack } from './stack.ts';
import { planDrillCorpus } from './transcripts.ts';
import { ccusageOracle, settleAndJudge } from './verdict.ts';

/** Small batches: many events, so many notices stream to every client around the kill. */
const BATCH_SIZE = 100;

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** Messages the witness had that the client lacks, and messages the client had twice. */
function gaps(client: ResumingClient, witness: readonly string[]): { missed: number; repeated: number } {
  const seen = new Set(client.positions);
  return {
    missed: witness.filter((position) => !seen.has(position)).length,
    repeated: client.positions.length - seen.size,
  };
}

/** Why a client's view of the account is not the account's, or undefined when it is. */
function divergence(
  client: ResumingClient,
  witness: readonly string[],
  rest: readonly DeviceUsage[],
): string | undefined {
  const { missed, repeated } = gaps(client, witness);
  if (missed > 0 || repeated > 0) return `missed ${missed} and repeated ${repeated} messages`;
  if (client.positions.join() !== witness.join()) return 'received the messages out of order';
  const stale = staleTotals(client, rest);
  if (stale !== undefined) return stale;
  const failed = client.reconnects.find((reconnect) => !reconnect.recovered);
  return failed === undefined ? undefined : `could not resume (${failed.reason ?? 'no reason'})`;
}

/**
 * Truth 4 across replicas: three gateway processes with clients spread over them; one is
 * SIGKILLed while usage streams. Its clients reconnect to the others and resume with `since`;
 * every client must end with exactly the messages a client that was never disturbed saw, and
 * the totals the API serves, which must be ccusage's.
 */
export const gatewayKill: Drill = {
  name: 'gateway-kill',
  summary:
    'SIGKILL one of three gateways while WebSocket clients stream; its clients resume on the others with nothing missed or repeated.',
  timeoutMs: (quick) => (quick ? 90_000 : 180_000),
  async run(context) {
    const size = context.quick
      ? { records: 4_000, clients: 60, slices: 9 }
      : { records: 20_000, clients: 300, slices: 15 };
    const stack = await startDrillStack(context, { gateways: 3 });
    const corpus = planDrillCorpus(context.workDir, { seed: 19, devices: 2, records: size.records }, size.slices);
    const devices = await enrollDevices(stack, corpus.configDirs, context.workDir);
    const viewerToken = await stack.issueViewerToken();

    const urls = stack.gateways.map((gateway) => gateway.url.replace(/^http/, 'ws'));
    // Client i starts on gateway i mod 3 and moves on through the others; the witness stays on
    // the last gateway, which is never killed.
    const clients = Array.from({ length: size.clients }, (_, index) =>
      openResumingClient([...urls.slice(index % 3), ...urls.slice(0, index % 3)], viewerToken),
    );
    const witness = openResumingClient(urls.slice(-1), viewerToken);
    context.defer(() => {
      for (const client of [...clients, witness]) client.close();
    });
    await Promise.all([...clients, witness].map((client) => client.subscribed));
    const victims = clients.filter((_, index) => index % 3 === 0);

    const ingest = startLiveIngest(context, stack, devices, corpus, BATCH_SIZE);
    // A third of the way through the ingest, while notices stream.
    await ingest.after(Math.floor(size.slices / 3));
    const killedWhileStreaming = ingest.pushing;
    const [doomed] = stack.gateways;
    await doomed?.stop('SIGKILL');
    context.log(`killed a gateway after ${witness.positions.length} messages`);
    await waitFor(() => victims.every((client) => client.reconnects.length > 0 && !client.reconnecting), {
      timeoutMs: 30_000,
      description: 'the clients of the killed gateway to resubscribe elsewhere',
    }).catch(() => undefined);

    await ingest.done;
    const verdict = await settleAndJudge(stack, await ccusageOracle(corpus.configDirs, context.workDir));
    const { devices: rest } = await stack.totals();
    // Settled means the witness has every device's final totals; then every client must match it.
    await waitFor(
      () =>
        rest.every((device) => witness.devices.get(device.device)?.lastSeq === device.lastSeq) &&
        clients.every((client) => client.positions.length >= witness.positions.length),
      { timeoutMs: 30_000, description: 'every client to receive the last notices' },
    ).catch(() => undefined);

    const diverged = [...clients, witness].flatMap((client, index) => {
      const reason = divergence(client, witness.positions, rest);
      return reason === undefined ? [] : [`client ${index}: ${reason}`];
    });
    const reconnectMs = victims
      .flatMap((client) => client.reconnects.map((reconnect) => reconnect.ms))
      .sort((a, b) => a - b);
    const tallies = clients.map((client) => gaps(client, witness.positions));
    const missed = tallies.reduce((sum, tally) => sum + tally.missed, 0);
    const repeated = tallies.reduce((sum, tally) => sum + tally.repeated, 0);
    return {
      records: corpus.records,
      faults: `SIGKILL 1 of 3 gateways, ${victims.length} of ${size.clients} clients on it`,
      verdict,
      recovery: {
        measures:
          'from losing its socket until each client of the killed gateway was subscribed again on another, resumed',
        samplesMs: reconnectMs,
      },
      notes: [
        `reconnect p50 ${seconds(percentile(reconnectMs, 0.5))}, max ${seconds(reconnectMs.at(-1) ?? 0)} over ${reconnectMs.length} reconnects; killed ${killedWhileStreaming ? 'while' : 'after'} the agents pushed, after slice ${Math.floor(size.slices / 3)} of ${size.slices}`,
        `${witness.positions.length} usage and block messages per client; over all clients ${missed} missed, ${repeated} repeated; ${diverged.length} of ${size.clients} clients did not recover exactly`,
      ],
      failures: [
        ...diverged.slice(0, 5),
        ...(diverged.length > 5 ? [`and ${diverged.length - 5} more clients`] : []),
        ...(reconnectMs.length < victims.length
          ? [`${victims.length - reconnectMs.length} clients never reconnected`]
          : []),
      ],
    };
  },
};
