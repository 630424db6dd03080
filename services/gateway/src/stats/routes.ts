import { DeviceId, ErrorReply, TimeZone } from '@ccsync/contracts';
import { assertCanRead, type HttpServer, type ProjectionRegistry, principalOf, type Redis } from '@ccsync/service-kit';
import {
  anyZoneRange,
  blocksReport,
  type Period,
  type PricingTable,
  periodReport,
  sessionReport,
  WEEKDAYS,
} from '@ccsync/usage';
import { z } from 'zod';
import { readCountedEntries } from './counted-entries.ts';
import { readUsageCells } from './usage-cells.ts';

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

export const PeriodQuery = z.object({
  /** Days are grouped in this timezone; UTC when omitted (the server has no "local" of the user's). */
  tz: TimeZone.default('UTC'),
  device: DeviceId.optional(),
  /** A project path as the transcripts name it (`-home-me-src-app`). */
  project: z.string().min(1).max(512).optional(),
  since: day.optional(),
  until: day.optional(),
  order: z.enum(['asc', 'desc']).default('asc'),
  /** The day weeks start on, for the weekly report. */
  startOfWeek: z.enum(WEEKDAYS).default('sunday'),
  /** ccusage's `--breakdown`, accepted as it is: its JSON, like this one, always has `modelBreakdowns`. */
  breakdown: flag.optional(),
});

export const SessionQuery = z.object({
  device: DeviceId.optional(),
  project: z.string().min(1).max(512).optional(),
  /** Only messages of these days count in their sessions, days taken in `tz`. */
  since: day.optional(),
  until: day.optional(),
  tz: TimeZone.default('UTC'),
  breakdown: flag.optional(),
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
  for (const period of ['daily', 'weekly', 'monthly'] as const satisfies Period[]) {
    app.get(
      `/api/stats/${period}`,
      {
        schema: {
          querystring: PeriodQuery,
          response: { 200: z.unknown(), 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        assertCanRead(principal);
        const { tz, device, project, since, until, order, startOfWeek } = request.query;
        const cells = await readUsageCells(
          redis,
          await registry.activeKeys(),
          principal.account,
          anyZoneRange(since, until),
        );
        const chosen = cells.filter(
          (cell) =>
            (device === undefined || cell.device === device) && (project === undefined || cell.project === project),
        );
        return periodReport(chosen, period, {
          timezone: tz,
          order,
          startOfWeek,
          ...(since === undefined ? {} : { since }),
          ...(until === undefined ? {} : { until }),
        });
      },
    );
  }

  app.get(
    '/api/stats/session',
    {
      schema: {
        querystring: SessionQuery,
        response: { 200: z.unknown(), 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const { device, project, since, until, tz } = request.query;
      const entries = await readCountedEntries(redis, await registry.activeKeys(), principal.account, device);
      const chosen = project === undefined ? entries : entries.filter((entry) => entry.projectPath === project);
      return sessionReport(chosen, {
        pricing,
        timezone: tz,
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
