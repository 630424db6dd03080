import {
  AccountUsageReply,
  DeviceListReply,
  DeviceUsageParams,
  DeviceUsageReply,
  ErrorReply,
  liveKeys,
  type Names,
  PushUsageReply,
  SimpleUsageRequest,
} from '@ccsync/contracts';
import {
  assertCanRead,
  Errors,
  type HttpServer,
  outcomeError,
  type ProjectionRegistry,
  principalOf,
  type Redis,
} from '@ccsync/service-kit';
import { z } from 'zod';
import { readAccountUsage, readDeviceList, readDeviceUsage } from './read-usage.ts';
import type { SimpleUsageRecorder } from './record-simple-usage.ts';

export interface UsageDeps {
  readonly redis: Redis;
  readonly names: Names;
  readonly registry: ProjectionRegistry;
  readonly recordSimpleUsage: SimpleUsageRecorder;
}

export function registerUsageRoutes(app: HttpServer, { redis, names, registry, recordSimpleUsage }: UsageDeps): void {
  const live = liveKeys(names);

  app.get(
    '/api/usage',
    { schema: { response: { 200: AccountUsageReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      return readAccountUsage(redis, await registry.activeKeys(), principal.account);
    },
  );

  // The device list with presence: devices with usage, and devices online that have none yet.
  app.get(
    '/api/devices',
    { schema: { response: { 200: DeviceListReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      return readDeviceList(redis, await registry.activeKeys(), live, principal.account);
    },
  );

  app.get(
    '/api/usage/:deviceId',
    {
      schema: {
        params: DeviceUsageParams,
        response: { 200: DeviceUsageReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const usage = await readDeviceUsage(
        redis,
        await registry.activeKeys(),
        principal.account,
        request.params.deviceId,
      );
      if (usage === undefined) throw new Errors.NotFound(`No usage from device "${request.params.deviceId}"`);
      return usage;
    },
  );

  /** The seed's simple form, recorded by ingest: one entry a request, once per idempotency key. */
  app.post(
    '/api/usage/:deviceId',
    {
      schema: {
        params: DeviceUsageParams,
        headers: z.object({ 'idempotency-key': z.string().min(1).max(256).optional() }),
        body: SimpleUsageRequest,
        response: { 202: PushUsageReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 503: ErrorReply },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { idempotencyKey: keyInBody, ...usage } = request.body;
      const idempotencyKey = request.headers['idempotency-key'] ?? keyInBody;
      if (idempotencyKey === undefined) {
        throw new Errors.Validation('An idempotency key is required: the Idempotency-Key header or idempotencyKey');
      }
      const outcome = await recordSimpleUsage({
        principal,
        deviceId: request.params.deviceId,
        usage: { ...usage, idempotencyKey },
      });
      if (!outcome.ok) throw outcomeError(outcome);
      return reply.status(202).send(outcome.reply);
    },
  );
}
