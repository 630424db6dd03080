import {
  AccountUsageReply,
  DeviceListReply,
  DeviceUsageParams,
  DeviceUsageReply,
  ErrorReply,
  liveKeys,
  type Names,
} from '@ccsync/contracts';
import {
  assertCanRead,
  Errors,
  type HttpServer,
  type ProjectionRegistry,
  principalOf,
  type Redis,
} from '@ccsync/service-kit';
import { readAccountUsage, readDeviceList, readDeviceUsage } from './read-usage.ts';

export function registerUsageRoutes(
  app: HttpServer,
  { redis, names, registry }: { redis: Redis; names: Names; registry: ProjectionRegistry },
): void {
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
}
