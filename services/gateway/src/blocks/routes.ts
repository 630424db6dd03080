import {
  type AccountId,
  ActiveBlockReply,
  BURN_WINDOW_MINUTES,
  ErrorReply,
  type LiveKeys,
  liveKeys,
  type Names,
} from '@ccsync/contracts';
import { assertCanRead, type HttpServer, type ProjectionRegistry, principalOf, type Redis } from '@ccsync/service-kit';
import { activeBlockAt, deviceShares } from '@ccsync/usage';

export interface BlockDeps {
  readonly redis: Redis;
  readonly names: Names;
  readonly registry: ProjectionRegistry;
}

/** Tokens and cost over the last minutes, from the live per-minute counters. */
async function liveBurn(redis: Redis, live: LiveKeys, account: AccountId, now: number) {
  const current = Math.floor(now / 60_000);
  const pipeline = redis.pipeline();
  for (let minute = current - BURN_WINDOW_MINUTES + 1; minute <= current; minute++)
    pipeline.hgetall(live.burnMinute(account, minute));
  let tokens = 0;
  let costUSD = 0;
  for (const [error, hash] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    const sums = hash as Record<string, string>;
    tokens += Number(sums.tokens ?? 0);
    costUSD += Number(sums.costUSD ?? 0);
  }
  return {
    windowMinutes: BURN_WINDOW_MINUTES,
    tokensPerMinute: tokens / BURN_WINDOW_MINUTES,
    costPerHour: (Math.max(costUSD, 0) / BURN_WINDOW_MINUTES) * 60,
  };
}

/**
 * `GET /api/blocks/active`: the account's current 5-hour block over every device, as ccusage
 * would print it now, with each device's share and the burn rate over the last minutes. It is
 * read from the block the projector keeps current, so it costs the same however long the history.
 */
export function registerBlockRoutes(app: HttpServer, { redis, names, registry }: BlockDeps): void {
  const live = liveKeys(names);
  app.get(
    '/api/blocks/active',
    { schema: { response: { 200: ActiveBlockReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const now = Date.now();
      const keys = await registry.activeKeys();
      const [stored, burn] = await Promise.all([
        redis.get(keys.lastBlock(principal.account)),
        liveBurn(redis, live, principal.account, now),
      ]);
      const active = activeBlockAt(stored, now);
      return {
        account: principal.account,
        block: active?.block ?? null,
        devices: active === undefined ? [] : deviceShares(active.last),
        burn,
      };
    },
  );
}
