import { type AccountId, type CounterPoint, type DeviceId, MAX_ENTRIES_PER_EVENT, newEvent } from '@ccsync/contracts';
import { deviceForPush, Errors, type EventHistory, eventIdOf, type HttpServer, principalOf } from '@ccsync/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { UsageRecorder } from '../usage/usage-recorder.ts';
import { countersFromMetrics, LogsRequest, MetricsRequest, usageFromLogs } from './claude-code-telemetry.ts';
import { decodeLogsRequest, decodeMetricsRequest } from './otlp-protobuf.ts';

const PROTOBUF = 'application/x-protobuf';

function decodeOr400(decode: (body: Uint8Array) => unknown, body: unknown, signal: string): unknown {
  try {
    return decode(body as Buffer);
  } catch (error) {
    throw new Errors.Validation(`Not an OTLP ${signal} request: ${(error as Error).message}`);
  }
}

/**
 * OTLP/HTTP, as Claude Code's telemetry exporter sends it (`http/json` or `http/protobuf`):
 * `POST /v1/logs` takes its `claude_code.api_request` events as usage of source `otlp`, and
 * `POST /v1/metrics` its `claude_code.token.usage` / `claude_code.cost.usage` counters. A device
 * token records as its own device; an account-wide token records as the device the resource names
 * (`ccsync.device`, else `host.name`). Answers as an OTLP collector does: 200 with an empty
 * response in the request's encoding.
 */
export function registerOtlpRoutes(app: HttpServer, record: UsageRecorder, history: EventHistory): void {
  /** Appends Claude Code's counter points as one event. */
  const recordCounters = async (
    account: AccountId,
    device: DeviceId,
    points: CounterPoint[],
    log: FastifyBaseLogger,
  ) => {
    const now = new Date().toISOString();
    const event = newEvent('UsageCountersObserved', {
      id: eventIdOf(
        'UsageCountersObserved',
        account,
        device,
        ...points.map((point) => `${point.series}@${point.timeUnixNano}=${point.value}`),
      ),
      occurredAt: now,
      recordedAt: now,
      account,
      device,
      data: { points },
    });
    await history.append(event, log);
  };

  void app.register(async (otlp) => {
    // Only these routes read protobuf; everywhere else it stays a 415.
    otlp.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    otlp.post('/v1/metrics', { schema: { body: z.unknown() } }, async (request, reply) => {
      const principal = principalOf(request);
      const protobuf = (request.headers['content-type'] ?? '').startsWith(PROTOBUF);
      const parsed = MetricsRequest.safeParse(
        protobuf ? decodeOr400(decodeMetricsRequest, request.body, 'metrics') : request.body,
      );
      if (!parsed.success) throw new Errors.Validation(`Not an OTLP metrics request: ${z.prettifyError(parsed.error)}`);
      for (const group of countersFromMetrics(parsed.data)) {
        const device = deviceForPush(principal, principal.scope === 'device' ? undefined : group.device);
        for (let start = 0; start < group.points.length; start += MAX_ENTRIES_PER_EVENT) {
          const points = group.points.slice(start, start + MAX_ENTRIES_PER_EVENT);
          await recordCounters(principal.account, device, points, request.log);
        }
      }
      return protobuf ? reply.status(200).type(PROTOBUF).send(Buffer.alloc(0)) : reply.status(200).send({});
    });

    otlp.post('/v1/logs', { schema: { body: z.unknown() } }, async (request, reply) => {
      const principal = principalOf(request);
      const protobuf = (request.headers['content-type'] ?? '').startsWith(PROTOBUF);
      const parsed = LogsRequest.safeParse(
        protobuf ? decodeOr400(decodeLogsRequest, request.body, 'logs') : request.body,
      );
      if (!parsed.success) throw new Errors.Validation(`Not an OTLP logs request: ${z.prettifyError(parsed.error)}`);

      for (const group of usageFromLogs(parsed.data)) {
        const requested: DeviceId | undefined = principal.scope === 'device' ? undefined : group.device;
        const device = deviceForPush(principal, requested);
        for (let start = 0; start < group.entries.length; start += MAX_ENTRIES_PER_EVENT) {
          const entries = group.entries.slice(start, start + MAX_ENTRIES_PER_EVENT);
          await record({ account: principal.account, device, source: 'otlp', entries }, request.log);
        }
      }
      return protobuf ? reply.status(200).type(PROTOBUF).send(Buffer.alloc(0)) : reply.status(200).send({});
    });
  });
}
