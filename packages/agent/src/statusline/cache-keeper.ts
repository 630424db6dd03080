import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ActiveBlockReply, CcusageDailyReport, RateLimitsReply, type ServerMessage } from '@ccsync/contracts';
import writeFileAtomic from 'write-file-atomic';
import { AgentError, ExitCode } from '../errors.ts';
import type { GatewayReader } from '../server/gateway-reader.ts';
import { followGateway } from '../server/gateway-socket.ts';
import { STATUSLINE_CACHE_FILE, type StatuslineCache } from './cache-file.ts';

/** Changes arriving within this long of each other cost one refresh. */
const COALESCE_MS = 250;
/** Refreshes without a change too: a new day, a block that ended, a socket a proxy keeps closing. */
const REFRESH_EVERY_MS = 60_000;
/** Messages on `blocks` and `usage` that change what the status line shows. */
const CHANGES = new Set<ServerMessage['type']>(['block_update', 'token_usage_update', 'rate_limits_update']);

/** The system's IANA timezone (TZ when set), whose day "today" is. */
export const systemTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** YYYY-MM-DD of `now` in `timeZone`. */
const dayIn = (timeZone: string, now: Date) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);

/**
 * What the status line shows, read from the gateway: the active block, today's cost in
 * `timeZone`, and the official rate limits (null from a gateway that does not offer them yet).
 */
export async function readStatuslineFigures(reader: GatewayReader, timeZone: string): Promise<StatuslineCache> {
  const today = dayIn(timeZone, new Date());
  const [active, daily, rateLimits] = await Promise.all([
    reader.get('/api/blocks/active', ActiveBlockReply),
    reader.get(
      `/api/stats/daily?tz=${encodeURIComponent(timeZone)}&since=${today.replaceAll('-', '')}`,
      CcusageDailyReport,
    ),
    reader.find('/api/rate-limits', RateLimitsReply),
  ]);
  const { block } = active;
  return {
    version: 1,
    writtenAt: new Date().toISOString(),
    account: active.account,
    block:
      block?.isActive === true
        ? { startTime: block.startTime, endTime: block.endTime, totalTokens: block.totalTokens, costUSD: block.costUSD }
        : null,
    today: {
      date: today,
      timeZone,
      costUSD: daily.daily.find((day) => day.date === today)?.totalCost ?? 0,
    },
    rateLimits: rateLimits?.windows ?? null,
  };
}

export async function writeStatuslineCache(stateDir: string, cache: StatuslineCache): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(stateDir, STATUSLINE_CACHE_FILE), `${JSON.stringify(cache)}\n`, {
    mode: 0o600,
    fsync: false,
  });
}

export interface StatuslineCacheOptions {
  readonly reader: GatewayReader;
  readonly stateDir: string;
  /** Whose day "today" is; the system's by default. */
  readonly timeZone?: string;
  /** A problem that stops the cache for good (a token that cannot read the account). */
  readonly onFatal: (message: string) => void;
}

/**
 * Keeps `<stateDir>/statusline.json` fresh for `ccsync statusline`, which must not touch the
 * network. A WebSocket to the gateway, authenticated with the read token in its first message
 * (the device token that pushes cannot read), follows `blocks` and `usage`; on connecting and on
 * every change the figures are read again over REST, so a missed message costs nothing.
 * Reconnects with backoff. Returns a function that stops, once a refresh under way has finished.
 */
export function keepStatuslineCache({
  reader,
  stateDir,
  timeZone = systemTimeZone(),
  onFatal,
}: StatuslineCacheOptions): () => Promise<void> {
  let stopped = false;
  let coalesceTimer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  let again = false;

  const stop = () => {
    stopped = true;
    clearTimeout(coalesceTimer);
    clearInterval(periodic);
    stopSocket();
  };
  const fail = (message: string) => {
    if (stopped) return;
    stop();
    onFatal(`The status line's figures will not be kept: ${message}`);
  };

  /** Reads and writes the figures, once more if asked again meanwhile. */
  const refresh = (): Promise<void> => {
    if (refreshing !== undefined) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        try {
          await writeStatuslineCache(stateDir, await readStatuslineFigures(reader, timeZone));
        } catch (error) {
          if (error instanceof AgentError && error.exitCode === ExitCode.AuthRefused) fail(error.message);
          // Otherwise the gateway is away or answered oddly: the cache ages and shows as stale,
          // and the next change, reconnection or periodic refresh tries again.
        }
      } while (again && !stopped);
      refreshing = undefined;
    })();
    return refreshing;
  };

  const schedule = () => {
    if (coalesceTimer !== undefined || stopped) return;
    coalesceTimer = setTimeout(() => {
      coalesceTimer = undefined;
      void refresh();
    }, COALESCE_MS);
  };

  const periodic = setInterval(() => void refresh(), REFRESH_EVERY_MS);
  const stopSocket = followGateway({
    socketUrl: reader.socketUrl,
    token: reader.token,
    channels: ['blocks', 'usage'],
    refuse: (authenticated) =>
      authenticated.scope === 'device'
        ? 'the read token is a device token, which only pushes: pass --read-token, or run `ccsync login` with an admin token'
        : undefined,
    // Whatever changed while the socket was down is read now.
    onSubscribed: () => void refresh(),
    onMessage: (message) => {
      if (CHANGES.has(message.type)) schedule();
    },
    onRefused: fail,
  });
  void refresh();

  return async () => {
    stop();
    await refreshing;
  };
}
