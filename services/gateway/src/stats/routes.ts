import { DeviceId, ErrorReply } from '@ccsync/contracts';
import { assertCanRead, type HttpServer, type ProjectionRegistry, principalOf, type Redis } from '@ccsync/service-kit';
import { blocksReport, dailyReport, type PricingTable } from '@ccsync/usage';
import { z } from 'zod';
import { readCountedEntries } from './counted-entries.ts';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .transform((value) => value === 'true' || value === '1' || value === '');

export const BlocksQuery = z.object({
  device: DeviceId.optional(),
  active: flag.optional(),
  recent: flag.optional(),
  tokenLimit: z.union([z.literal('max'), z.coerce.number().int().positive()]).optional(),
});

const day = z.string().regex(/^\d{4}-?\d{2}-?\d{2}$/, 'YYYYMMDD or YYYY-MM-DD');
const timeZone = z.string().refine(
  (name) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'an IANA timezone such as Europe/Berlin' },
);

export const DailyQuery = z.object({
  /** Days are grouped in this timezone; UTC when omitted (the server has no "local" of the user's). */
  tz: timeZone.default('UTC'),
  device: DeviceId.optional(),
  since: day.optional(),
  until: day.optional(),
});

export interface StatsDeps {
  readonly redis: Redis;
  readonly registry: ProjectionRegistry;
  readonly pricing: PricingTable;
}

/**
 * Reports shaped like ccusage's `--json`, from the server's view of every device. Blocks are
 * account-wide by default: the number no single machine can give.
 */
export function registerStatsRoutes(app: HttpServer, { redis, registry, pricing }: StatsDeps): void {
  app.get(
    '/api/stats/daily',
    {
      schema: {
        querystring: DailyQuery,
        response: { 200: z.unknown(), 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const { tz, device, since, until } = request.query;
      const entries = await readCountedEntries(redis, await registry.activeKeys(), principal.account, device);
      return dailyReport(entries, {
        timezone: tz,
        pricing,
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
      });
    },
  );

  app.get(
    '/api/stats/blocks',
    {
      schema: {
        querystring: BlocksQuery,
        response: { 200: z.unknown(), 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const { device, active, recent, tokenLimit } = request.query;
      const entries = await readCountedEntries(redis, await registry.activeKeys(), principal.account, device);
      return blocksReport(entries, {
        now: Date.now(),
        pricing,
        ...(active === true ? { active } : {}),
        ...(recent === true ? { recent } : {}),
        ...(tokenLimit === undefined ? {} : { tokenLimit }),
      });
    },
  );
}
