import { type DeviceId, MAX_ENTRIES_PER_EVENT } from '@ccsync/contracts';
import { deviceForPush, Errors, type HttpServer, principalOf } from '@ccsync/service-kit';
import { z } from 'zod';
import type { UsageRecorder } from '../usage/usage-recorder.ts';
import { LogsRequest, usageFromLogs } from './claude-code-telemetry.ts';
import { decodeLogsRequest } from './otlp-protobuf.ts';

const PROTOBUF = 'application/x-protobuf';

/**
 * OTLP/HTTP, as Claude Code's telemetry exporter sends it (`http/json` or `http/protobuf`):
 * `POST /v1/logs` takes its `claude_code.api_request` events as usage of source `otlp`. A device
 * token records as its own device; an account-wide token records as the device the resource names
 * (`ccsync.device`, else `host.name`). Answers as an OTLP collector does: 200 with an empty
 * response in the request's encoding.
 */
export function registerOtlpRoutes(app: HttpServer, record: UsageRecorder): void {
  void app.register(async (otlp) => {
    // Only these routes read protobuf; everywhere else it stays a 415.
    otlp.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    otlp.post('/v1/logs', { schema: { body: z.unknown() } }, async (request, reply) => {
      const principal = principalOf(request);
      const protobuf = (request.headers['content-type'] ?? '').startsWith(PROTOBUF);
      let raw: unknown = request.body;
      if (protobuf) {
        try {
          raw = decodeLogsRequest(request.body as Buffer);
        } catch (error) {
          throw new Errors.Validation(`Not an OTLP logs request: ${(error as Error).message}`);
        }
      }
      const parsed = LogsRequest.safeParse(raw);
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
