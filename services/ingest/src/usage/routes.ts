import { DeviceUsageParams, ErrorReply, PushUsageReply, PushUsageRequest, SimpleUsageRequest } from '@ccsync/contracts';
import { deviceForPush, Errors, type HttpServer, principalOf } from '@ccsync/service-kit';
import { z } from 'zod';
import { simpleUsageEntry, type UsageRecorder } from './usage-recorder.ts';

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
      const key = request.headers['idempotency-key'] ?? request.body.idempotencyKey;
      if (key === undefined) {
        throw new Errors.Validation('An idempotency key is required: the Idempotency-Key header or idempotencyKey');
      }
      const entries = [simpleUsageEntry(request.body, key)];
      return reply
        .status(202)
        .send(await record({ account: principal.account, device, source: 'api', entries }, request.log));
    },
  );
}
