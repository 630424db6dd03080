import type {
  ActiveBlockReply,
  CcusageDailyReport,
  CronJobListReply,
  CronRunsReply,
  DeviceListReply,
  ErrorReply,
  ForgeDailyReply,
} from '@ccsync/contracts';

/** A refused or failed request: the gateway's error code and message, or `NETWORK` when there was no answer. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

/** The gateway's REST API, on the page's own origin, with the token as a bearer header. */
export class Api {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  /** The account's current 5-hour block, each device's share and the burn rate. */
  activeBlock(): Promise<ActiveBlockReply> {
    return this.#get('/api/blocks/active');
  }

  /** Every device with its totals and presence. */
  devices(): Promise<DeviceListReply> {
    return this.#get('/api/devices');
  }

  /** The last `days` days in `tz`, zero days included, each with every device's share. */
  dailyByDevice(days: number, tz: string): Promise<ForgeDailyReply> {
    return this.#get(`/v1/stats/daily?${new URLSearchParams({ days: String(days), tz })}`);
  }

  /** ccusage's daily report from `since` (`YYYYMMDD`) in `tz`, each day with its models. */
  dailyByModel(since: string, tz: string): Promise<CcusageDailyReport> {
    return this.#get(`/api/stats/daily?${new URLSearchParams({ tz, since })}`);
  }

  /** The account's scheduled jobs (admin tokens only). */
  cronJobs(): Promise<CronJobListReply> {
    return this.#get('/api/cron/jobs');
  }

  /** A job's latest runs, newest first. */
  cronRuns(job: string, limit: number): Promise<CronRunsReply> {
    return this.#get(`/api/cron/jobs/${encodeURIComponent(job)}/runs?limit=${limit}`);
  }

  async #get<T>(path: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json' },
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'NETWORK', 'The server could not be reached', { cause: error });
    }
    if (!response.ok) {
      const reply = (await response.json().catch(() => undefined)) as Partial<ErrorReply> | undefined;
      throw new ApiError(
        response.status,
        reply?.code ?? `HTTP_${response.status}`,
        reply?.message ?? (response.statusText || `HTTP ${response.status}`),
      );
    }
    return (await response.json()) as T;
  }
}
