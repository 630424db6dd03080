import {
  AccountUsageReply,
  CURRENT_PROJECTION_VERSION,
  DeviceUsageParams,
  DeviceUsageReply,
  ErrorReply,
  type Names,
  viewKeys,
} from '@ccsync/contracts';
import { assertCanRead, Errors, type HttpServer, principalOf, type Redis } from '@ccsync/service-kit';
import { readAccountUsage, readDeviceUsage } from './read-usage.ts';

export function registerUsageRoutes(app: HttpServer, { redis, names }: { redis: Redis; names: Names }): void {
  const keys = viewKeys(names, CURRENT_PROJECTION_VERSION);

  app.get(
    '/api/usage',
    { schema: { response: { 200: AccountUsageReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      return readAccountUsage(redis, keys, principal.account);
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
      const usage = await readDeviceUsage(redis, keys, principal.account, request.params.deviceId);
      if (usage === undefined) throw new Errors.NotFound(`No usage from device "${request.params.deviceId}"`);
      return usage;
    },
  );
}
