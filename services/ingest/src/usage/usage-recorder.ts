import { createHash } from 'node:crypto';
import type { PushUsageReply, SimpleUsageFields, UsageEntry } from '@ccsync/contracts';
import type { EventHistory, Logger } from '@ccsync/service-kit';
import type { z } from 'zod';
import type { IngestMetrics } from '../ingest-metrics.ts';
import { type RecordUsageCommand, usageEvent } from './record-usage.ts';

/** Stores usage in the history and counts it. */
export type UsageRecorder = (command: RecordUsageCommand, log: Pick<Logger, 'warn'>) => Promise<PushUsageReply>;

export function createUsageRecorder(history: EventHistory, metrics: IngestMetrics): UsageRecorder {
  return async (command, log) => {
    const stopTimer = metrics.publishSeconds.startTimer();
    const event = usageEvent(command);
    const stored = await history.append(event, log);
    stopTimer();
    if (stored.duplicate) metrics.duplicateBatches.inc();
    else metrics.recordsAccepted.inc({ source: command.source }, command.entries.length);
    return { eventId: event.id, ...stored, accepted: command.entries.length };
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
