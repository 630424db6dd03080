import { randomBytes } from 'node:crypto';
import { generateAdminToken } from '@ccsync/service-kit';
import { spawnNatsServer, spawnRedisServer, startServiceProcess } from '@ccsync/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { atLeast, type BenchmarkResult } from './measure.ts';

export interface IngestBenchOptions {
  readonly records: number;
  readonly rawMessages: number;
  readonly latencyBatches: number;
}

export const FULL_INGEST: IngestBenchOptions = { records: 400_000, rawMessages: 60_000, latencyBatches: 200 };
export const QUICK_INGEST: IngestBenchOptions = { records: 40_000, rawMessages: 10_000, latencyBatches: 30 };

/** Pre-serialised push bodies, so the client's JSON work is not in the timing. */
function bodies(count: number, size: number, device: string): string[] {
  const run = randomBytes(6).toString('hex');
  const result: string[] = [];
  for (let batch = 0; batch < count; batch++) {
    const entries = Array.from({ length: size }, (_, index) => ({
      id: `${run}-${batch}-${index}`,
      timestamp: '2026-11-20T10:00:00.000Z',
      messageId: `msg_${run}_${batch}_${index}`,
      requestId: `req_${run}_${batch}_${index}`,
      sessionId: 'bench',
      model: 'claude-sonnet-4-5-20250929',
      usage: { inputTokens: 1200, outputTokens: 345, cacheCreationInputTokens: 6000, cacheReadInputTokens: 70_000 },
    }));
    result.push(JSON.stringify({ device, entries }));
  }
  return result;
}

async function runConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/**
 * Ingest, a separate process, from HTTP batches to JetStream's ack, against raw per-message
 * JetStream publishing on the same server in the same run.
 */
export async function ingestBenchmarks(options: IngestBenchOptions): Promise<BenchmarkResult> {
  const [nats, redis] = await Promise.all([spawnNatsServer(), spawnRedisServer()]);
  const token = generateAdminToken();
  const ingest = await startServiceProcess('ingest', {
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    CCSYNC_ADMIN_TOKEN: token,
    CCSYNC_NAMESPACE: 'bench',
    LOG_LEVEL: 'warn',
    INGEST_RATE_LIMIT_PER_MINUTE: '0',
    NODE_ENV: 'production',
  });
  const nc = await connect({ servers: nats.url });
  try {
    // The reference: one JetStream message per record, 256 publishes in flight.
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'raw', subjects: ['raw.>'] });
    const js = jetstream(nc);
    const payload = JSON.parse(bodies(1, 1, 'raw')[0] ?? '{}').entries[0];
    const rawStarted = performance.now();
    await runConcurrently(
      Array.from({ length: options.rawMessages }, (_, index) => index),
      256,
      async (index) => void (await js.publish('raw.usage', JSON.stringify({ ...payload, id: `raw-${index}` }))),
    );
    const rawPerSecond = options.rawMessages / ((performance.now() - rawStarted) / 1000);

    const post = (body: string) =>
      fetch(`${ingest.url}/v1/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      }).then(async (response) => {
        if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
        await response.arrayBuffer();
      });

    const batchSize = 2000;
    const throughputBodies = bodies(Math.ceil(options.records / batchSize), batchSize, 'bench-throughput');
    const started = performance.now();
    await runConcurrently(throughputBodies, 4, post);
    const recordsPerSecond = (throughputBodies.length * batchSize) / ((performance.now() - started) / 1000);

    const latencies: number[] = [];
    for (const body of bodies(options.latencyBatches, 500, 'bench-latency')) {
      const sent = performance.now();
      await post(body);
      latencies.push(performance.now() - sent);
    }
    latencies.sort((a, b) => a - b);
    const ratio = recordsPerSecond / rawPerSecond;
    return {
      name: 'Ingest',
      setup: `ingest as its own process with nats-server ${'-js'} on loopback; ${throughputBodies.length} batches of ${batchSize} records, 4 in flight; raw reference: ${options.rawMessages} single-record publishes, 256 in flight`,
      figures: [
        {
          metric: 'records/s from HTTP batch to JetStream ack',
          value: `${Math.round(recordsPerSecond).toLocaleString('en-US')} records/s`,
          reference: `raw JetStream ${Math.round(rawPerSecond).toLocaleString('en-US')} msgs/s`,
          ratio: `${ratio.toFixed(1)}× raw`,
          goal: '≥ 100,000 records/s and ≥ 3× raw',
          // Both bounds: the lesser share of either is how far it is.
          ...(recordsPerSecond / 100_000 <= ratio / 3 ? atLeast(recordsPerSecond, 100_000) : atLeast(ratio, 3)),
        },
        {
          metric: 'latency of a 500-record batch, p50 / p99',
          value: `${percentile(latencies, 0.5).toFixed(1)} ms / ${percentile(latencies, 0.99).toFixed(1)} ms`,
          reference: `${options.latencyBatches} sequential batches`,
          ratio: '',
          goal: 'reported',
          met: true,
        },
      ],
      limits:
        'Every record is validated with zod and serialised once more into the event; on 2 cores the HTTP server, validation and nats-server share the CPU.',
    };
  } finally {
    await nc.close();
    await ingest.stop();
    await Promise.all([nats.dispose(), redis.dispose()]);
  }
}
