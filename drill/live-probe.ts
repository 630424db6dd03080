import { PushUsageReply } from '@ccsync/contracts';
import { usageEntry, waitFor } from '@ccsync/testkit';
import type { DrillContext } from './drill.ts';
import { openResumingClient, type ResumingClient } from './resuming-client.ts';
import type { DrillStack } from './stack.ts';

/** How long a change may take from ingest's 202 to a client before it counts as late. */
export const PROBE_LATE_MS = 5000;

export interface LiveProbeResult {
  /** Probes that reached every client in time, of those sent. */
  readonly onTime: number;
  readonly sent: number;
  readonly maxMs: number;
}

/**
 * Truth 4 after a fault: single changes of an account of its own (so the drill's totals stay
 * ccusage's), pushed one at a time; each must reach a client on every gateway within moments.
 * A feed that quietly stalls after recovering shows here, not in the end state.
 */
export interface LiveProbe {
  /** Sends up to `count` probes; stops at the first late one. */
  check(count: number): Promise<LiveProbeResult>;
}

export async function startLiveProbe(context: DrillContext, stack: DrillStack): Promise<LiveProbe> {
  const token = await stack.createAccount('probe');
  const clients: ResumingClient[] = stack.gateways.map((gateway) =>
    openResumingClient([gateway.url.replace(/^http/, 'ws')], token),
  );
  context.defer(() => {
    for (const client of clients) client.close();
  });
  await Promise.all(clients.map((client) => client.subscribed));
  let probes = 0;
  const send = async () => {
    const response = await fetch(`${stack.ingest.url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device: 'probe', entries: [usageEntry(`probe-${probes++}`)] }),
    });
    if (response.status !== 202) throw new Error(`a probe got ${response.status}: ${await response.text()}`);
    return PushUsageReply.parse(await response.json()).seq;
  };
  return {
    async check(count) {
      let onTime = 0;
      let maxMs = 0;
      for (let sent = 0; sent < count; sent++) {
        const seq = await send();
        const sentAt = performance.now();
        const arrived = await waitFor(
          () => clients.every((client) => (client.devices.get('probe')?.lastSeq ?? 0) >= seq),
          { timeoutMs: PROBE_LATE_MS, intervalMs: 5 },
        ).then(
          () => true,
          () => false,
        );
        maxMs = Math.max(maxMs, performance.now() - sentAt);
        if (!arrived) return { onTime, sent: sent + 1, maxMs };
        onTime++;
      }
      return { onTime, sent: count, maxMs };
    },
  };
}
