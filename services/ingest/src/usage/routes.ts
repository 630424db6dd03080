import { ErrorReply, type Names, PushUsageReply, PushUsageRequest } from '@ccsync/contracts';
import { deviceForPush, Errors, type HttpServer, principalOf } from '@ccsync/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { IngestMetrics } from '../ingest-metrics.ts';
import { recordUsage } from './record-usage.ts';

export interface UsageRouteDeps {
  readonly js: JetStreamClient;
  readonly names: Names;
  readonly publishTimeoutMs: number;
  readonly metrics: IngestMetrics;
}

export function registerUsageRoutes(app: HttpServer, { js, names, publishTimeoutMs, metrics }: UsageRouteDeps): void {
  app.post(
    '/v1/usage',
    {
      schema: {
        body: PushUsageRequest,
        response: { 202: PushUsageReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 503: ErrorReply },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const device = deviceForPush(principal, request.body.device);
      const stopTimer = metrics.publishSeconds.startTimer();
      try {
        const result = await recordUsage(
          js,
          names,
          { account: principal.account, device, source: request.body.source, entries: request.body.entries },
          publishTimeoutMs,
        );
        stopTimer();
        if (result.duplicate) metrics.duplicateBatches.inc();
        else metrics.recordsAccepted.inc({ source: request.body.source }, result.accepted);
        return reply.status(202).send(result);
      } catch (error) {
        // Whatever went wrong, the data may not be stored: never answer 2xx, ask for a retry.
        request.log.warn({ err: error }, 'publish to JetStream failed');
        reply.header('retry-after', '5');
        throw new Errors.StoreUnavailable();
      }
    },
  );
}
