import { ErrorReply, PushUsageReply, PushUsageRequest } from '@ccsync/contracts';
import { deviceForPush, type HttpServer, principalOf } from '@ccsync/service-kit';
import type { UsageRecorder } from './usage-recorder.ts';

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 413: ErrorReply, 503: ErrorReply };

export function registerUsageRoutes(app: HttpServer, record: UsageRecorder): void {
  app.post(
    '/v1/usage',
    { schema: { body: PushUsageRequest, response: { 202: PushUsageReply, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const device = deviceForPush(principal, request.body.device);
      const { source, entries } = request.body;
      return reply.status(202).send(await record({ account: principal.account, device, source, entries }, request.log));
    },
  );
}
