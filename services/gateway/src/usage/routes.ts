import {
  AccountUsageReply,
  DeviceId,
  DeviceListReply,
  DeviceUsageParams,
  DeviceUsageReply,
  deviceUsageFromHash,
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
import { readAccountUsage, readDeviceUsage } from './read-usage.ts';

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
      const { account } = principal;
      const { devices } = await readAccountUsage(redis, await registry.activeKeys(), account);
      const known = new Set<string>(devices.map((usage) => usage.device));
      const online = (await redis.smembers(live.online(account))).filter((device) => !known.has(device)).sort();
      const all = [...devices, ...online.map((device) => deviceUsageFromHash(account, DeviceId.parse(device), {}))];
      const heartbeats =
        all.length === 0 ? [] : await redis.mget(...all.map((usage) => live.presence(account, usage.device)));
      return {
        devices: all.map((usage, index) => ({
          ...usage,
          online: heartbeats[index] !== null && heartbeats[index] !== undefined,
          lastHeartbeatAt: heartbeats[index] ?? null,
        })),
      };
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
