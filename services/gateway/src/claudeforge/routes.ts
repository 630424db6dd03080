import {
  type AccountId,
  ErrorReply,
  ForgeDailyQuery,
  ForgeDailyReply,
  ForgeMachinesReply,
  ForgeModelsReply,
  ForgeTotalsReply,
  liveKeys,
  type Names,
  type ViewKeys,
} from '@ccsync/contracts';
import { assertCanRead, type HttpServer, type ProjectionRegistry, principalOf, type Redis } from '@ccsync/service-kit';
import { anyZoneRange, zonedDate } from '@ccsync/usage';
import { readUsageCells } from '../stats/usage-cells.ts';
import { readAccountUsage, readDeviceList } from '../usage/read-usage.ts';

const DAY_MS = 86_400_000;

export interface ForgeDeps {
  readonly redis: Redis;
  readonly names: Names;
  readonly registry: ProjectionRegistry;
}

interface Sums {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  totalCost: number;
}

const zero = (): Sums => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  totalTokens: 0,
  totalCost: 0,
});

/** The `days` calendar dates up to today in `timezone`, oldest first. */
function lastDates(days: number, timezone: string, now: number): string[] {
  const [year, month, day] = zonedDate(now, timezone).split('-').map(Number) as [number, number, number];
  const today = Date.UTC(year, month - 1, day);
  return Array.from({ length: days }, (_, index) =>
    new Date(today - (days - 1 - index) * DAY_MS).toISOString().slice(0, 10),
  );
}

/** Each model's totals and when it was last seen, most expensive first. */
async function readModels(redis: Redis, keys: ViewKeys, account: AccountId) {
  const index = await redis.zrange(keys.summaryIndex('model', account), '0', '-1', 'WITHSCORES');
  const pipeline = redis.pipeline();
  for (let at = 0; at < index.length; at += 2) pipeline.hgetall(keys.summary('model', account, index[at] as string));
  const hashes = (await pipeline.exec()) ?? [];
  return hashes
    .map(([error, hash], position) => {
      if (error) throw error;
      const sums = hash as Record<string, string>;
      const count = (field: string) => Number(sums[field] ?? 0);
      const tokens = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'].map(count);
      return {
        model: index[position * 2] as string,
        entries: count('entries'),
        inputTokens: tokens[0] ?? 0,
        outputTokens: tokens[1] ?? 0,
        cacheCreationTokens: tokens[2] ?? 0,
        cacheReadTokens: tokens[3] ?? 0,
        totalTokens: tokens.reduce((sum, value) => sum + value, 0),
        totalCost: Math.max(count('costUSD'), 0),
        lastSeenAt: new Date(Number(index[position * 2 + 1])).toISOString(),
      };
    })
    .filter((model) => model.entries > 0)
    .sort((a, b) => b.totalCost - a.totalCost || (a.model < b.model ? -1 : 1));
}

/**
 * Claudeforge's read API (seed 002): daily totals with each machine's share, all-time totals,
 * the machines, and usage by model, over every device of the caller's account.
 */
export function registerForgeRoutes(app: HttpServer, { redis, names, registry }: ForgeDeps): void {
  const live = liveKeys(names);
  const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply };

  app.get(
    '/v1/stats/daily',
    { schema: { querystring: ForgeDailyQuery, response: { 200: ForgeDailyReply, ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const { days, tz } = request.query;
      const dates = lastDates(days, tz, Date.now());
      const cells = await readUsageCells(
        redis,
        await registry.activeKeys(),
        principal.account,
        anyZoneRange(dates[0], dates.at(-1)),
      );
      const byDate = new Map(dates.map((date) => [date, { sums: zero(), machines: new Map<string, Sums>() }]));
      const totals = zero();
      for (const cell of cells) {
        const day = byDate.get(zonedDate(cell.epochMs, tz));
        if (day === undefined) continue;
        const machine = day.machines.get(cell.device) ?? zero();
        day.machines.set(cell.device, machine);
        for (const sums of [day.sums, machine, totals]) {
          sums.inputTokens += cell.inputTokens;
          sums.outputTokens += cell.outputTokens;
          sums.cacheCreationTokens += cell.cacheCreationTokens;
          sums.cacheReadTokens += cell.cacheReadTokens;
          sums.totalTokens += cell.inputTokens + cell.outputTokens + cell.cacheCreationTokens + cell.cacheReadTokens;
          sums.totalCost += cell.costUSD;
        }
      }
      return {
        days: [...byDate].map(([date, { sums, machines }]) => ({
          date,
          ...sums,
          machines: [...machines]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([hostname, share]) => ({ hostname, totalTokens: share.totalTokens, totalCost: share.totalCost })),
        })),
        totals,
      };
    },
  );

  app.get('/v1/stats/totals', { schema: { response: { 200: ForgeTotalsReply, ...errors } } }, async (request) => {
    const principal = principalOf(request);
    assertCanRead(principal);
    const { devices, totals } = await readAccountUsage(redis, await registry.activeKeys(), principal.account);
    const updated = devices.map((device) => device.updatedAt).filter((at): at is string => at !== null);
    const { entries, inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens, totalTokens, totalCost } = totals;
    return {
      entries,
      inputTokens,
      outputTokens,
      cacheCreationTokens,
      cacheReadTokens,
      totalTokens,
      totalCost,
      machines: devices.length,
      updatedAt: updated.length === 0 ? null : updated.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)),
    };
  });

  app.get('/v1/stats/machines', { schema: { response: { 200: ForgeMachinesReply, ...errors } } }, async (request) => {
    const principal = principalOf(request);
    assertCanRead(principal);
    const { devices } = await readDeviceList(redis, await registry.activeKeys(), live, principal.account);
    return { machines: devices.map((device) => ({ hostname: device.device, ...device })) };
  });

  app.get('/v1/stats/models', { schema: { response: { 200: ForgeModelsReply, ...errors } } }, async (request) => {
    const principal = principalOf(request);
    assertCanRead(principal);
    return { models: await readModels(redis, await registry.activeKeys(), principal.account) };
  });
}
