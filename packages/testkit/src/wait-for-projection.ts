import { ProjectionRegistry, Redis } from '@ccsync/service-kit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { TestNamespace } from './test-namespace.ts';
import { waitFor } from './wait-for.ts';

/**
 * Waits until the active views hold every event up to `seq`: their consumer's ack floor, which
 * holds however many projector replicas share the work (a replica's checkpoint may run ahead of
 * an event another is still applying).
 */
export async function waitForProjection(ns: TestNamespace, seq: number, timeoutMs = 20_000): Promise<void> {
  const nc = await connect({ servers: ns.natsUrl });
  const redis = new Redis(ns.redisUrl);
  try {
    const jsm = await jetstreamManager(nc);
    const registry = new ProjectionRegistry(redis, ns.names);
    await waitFor(async () => (await registry.activeAppliedThrough(jsm)) >= seq, {
      timeoutMs,
      description: `the views to hold every event up to ${seq}`,
    });
  } finally {
    redis.disconnect();
    await nc.close();
  }
}
