import { createHash } from 'node:crypto';
import type { Names, PushUsageReply, SimpleUsageFields, UsageEntry } from '@ccsync/contracts';
import { Errors, type Logger } from '@ccsync/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { z } from 'zod';
import type { IngestMetrics } from '../ingest-metrics.ts';
import { type RecordUsageCommand, recordUsage } from './record-usage.ts';

export interface UsageRecorderDeps {
  readonly js: JetStreamClient;
  readonly names: Names;
  readonly publishTimeoutMs: number;
  readonly metrics: IngestMetrics;
}

/** Stores usage and counts it. Any failure means the data may not be stored: 503, never 2xx. */
export type UsageRecorder = (command: RecordUsageCommand, log: Pick<Logger, 'warn'>) => Promise<PushUsageReply>;

export function createUsageRecorder({ js, names, publishTimeoutMs, metrics }: UsageRecorderDeps): UsageRecorder {
  return async (command, log) => {
    const stopTimer = metrics.publishSeconds.startTimer();
    try {
      const result = await recordUsage(js, names, command, publishTimeoutMs);
      stopTimer();
      if (result.duplicate) metrics.duplicateBatches.inc();
      else metrics.recordsAccepted.inc({ source: command.source }, result.accepted);
      return result;
    } catch (error) {
      log.warn({ err: error }, 'publish to JetStream failed');
      throw new Errors.StoreUnavailable();
    }
  };
}

/**
 * The seed's simple form as a usage entry: a bare total is recorded as input tokens. Its id
 * derives from the idempotency key, so a retry counts once; it has no message id, so it never
 * merges with transcript data.
 */
export function simpleUsageEntry(usage: z.infer<typeof SimpleUsageFields>, idempotencyKey: string): UsageEntry {
  return {
    id: createHash('sha256').update(`api\0${idempotencyKey}`).digest('base64url').slice(0, 32),
    timestamp: usage.timestamp ?? new Date().toISOString(),
    isSidechain: false,
    ...(usage.model === undefined ? {} : { model: usage.model }),
    usage: {
      inputTokens: usage.tokens ?? usage.inputTokens ?? 0,
      outputTokens: usage.outputTokens ?? 0,
      cacheCreationInputTokens: usage.cacheCreationTokens ?? 0,
      cacheReadInputTokens: usage.cacheReadTokens ?? 0,
    },
  };
}
