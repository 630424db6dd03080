import { createHash } from 'node:crypto';
import {
  DeviceUsageParams,
  ErrorReply,
  type Names,
  PushUsageReply,
  PushUsageRequest,
  SimpleUsageRequest,
  type UsageEntry,
} from '@ccsync/contracts';
import { deviceForPush, Errors, type HttpServer, principalOf } from '@ccsync/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { IngestMetrics } from '../ingest-metrics.ts';
import { type RecordUsageCommand, recordUsage } from './record-usage.ts';

export interface UsageRouteDeps {
  readonly js: JetStreamClient;
  readonly names: Names;
  readonly publishTimeoutMs: number;
  readonly metrics: IngestMetrics;
}

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 503: ErrorReply };

export function registerUsageRoutes(app: HttpServer, { js, names, publishTimeoutMs, metrics }: UsageRouteDeps): void {
  /** Stores the command and counts it; any failure means the data may not be stored: 503, never 2xx. */
  const store = async (command: RecordUsageCommand, log: FastifyBaseLogger): Promise<PushUsageReply> => {
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

  app.post(
    '/v1/usage',
    { schema: { body: PushUsageRequest, response: { 202: PushUsageReply, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const device = deviceForPush(principal, request.body.device);
      const { source, entries } = request.body;
      return reply.status(202).send(await store({ account: principal.account, device, source, entries }, request.log));
    },
  );

  // The seed's simple form: one usage figure without a transcript. Its entry id derives from the
  // idempotency key, so a retry counts once; it has no message id, so it never merges with
  // transcript data.
  app.post(
    '/api/usage/:deviceId',
    {
      schema: {
        params: DeviceUsageParams,
        headers: z.object({ 'idempotency-key': z.string().min(1).max(256).optional() }),
        body: SimpleUsageRequest,
        response: { 202: PushUsageReply, ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const device = deviceForPush(principal, request.params.deviceId);
      const body = request.body;
      const key = request.headers['idempotency-key'] ?? body.idempotencyKey;
      if (key === undefined) {
        throw new Errors.Validation('An idempotency key is required: the Idempotency-Key header or idempotencyKey');
      }
      const entry: UsageEntry = {
        id: createHash('sha256').update(`api\0${key}`).digest('base64url').slice(0, 32),
        timestamp: body.timestamp ?? new Date().toISOString(),
        isSidechain: false,
        ...(body.model === undefined ? {} : { model: body.model }),
        usage: {
          inputTokens: body.tokens ?? body.inputTokens ?? 0,
          outputTokens: body.outputTokens ?? 0,
          cacheCreationInputTokens: body.cacheCreationTokens ?? 0,
          cacheReadInputTokens: body.cacheReadTokens ?? 0,
        },
      };
      const command = { account: principal.account, device, source: 'api' as const, entries: [entry] };
      return reply.status(202).send(await store(command, request.log));
    },
  );
}
