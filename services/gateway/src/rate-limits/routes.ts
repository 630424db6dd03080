import { ErrorReply, RateLimitsReply, rateLimitsFromHash } from '@ccsync/contracts';
import { assertCanRead, type HttpServer, type ProjectionRegistry, principalOf, type Redis } from '@ccsync/service-kit';

export interface RateLimitDeps {
  readonly redis: Redis;
  readonly registry: ProjectionRegistry;
}

/**
 * `GET /api/rate-limits`: Claude Code's official rate-limit figures for the account, each window
 * as the device that saw it last reported it. Changes come as `rate_limits_update` on `blocks`.
 */
export function registerRateLimitRoutes(app: HttpServer, { redis, registry }: RateLimitDeps): void {
  app.get(
    '/api/rate-limits',
    { schema: { response: { 200: RateLimitsReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const keys = await registry.activeKeys();
      return rateLimitsFromHash(principal.account, await redis.hgetall(keys.rateLimits(principal.account)));
    },
  );
}
