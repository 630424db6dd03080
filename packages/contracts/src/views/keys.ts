import type { AccountId, DeviceId } from '../ids.ts';
import type { Names } from '../names.ts';

/**
 * The Redis key layout of one projection version. Every view lives under its version's prefix, so
 * a new version can be built beside the live one and reads switch when it has caught up.
 */
export interface ViewKeys {
  /** The last stream sequence applied by this version (string). */
  readonly checkpoint: string;
  /**
   * Ids of a device's usage entries already applied (set), so a resent or replayed entry changes
   * nothing. Entry ids are unique per device (they derive from the file and offset it was read at).
   */
  appliedEntries(account: AccountId, device: DeviceId): string;
  /**
   * Each message's de-duplication key (hash): to `{"at":member}`, the counted copy's member in
   * `counted`, or to `{"ref":key}` when a sidechain replay joined another key.
   */
  messages(account: AccountId): string;
  /** The first de-duplication key seen for each (session, message id), where replays pair (hash). */
  replays(account: AccountId): string;
  /**
   * Every counted copy of an account, for reports that need the entries themselves (5-hour
   * blocks): a sorted set of `<device>:<entry id>` by timestamp, and a hash from the same member to
   * the JSON of the device and the entry.
   */
  countedByTime(account: AccountId): string;
  counted(account: AccountId): string;
  /** One device's totals (hash: the token counts, `entries`, `costUSD`, `lastSeq`, `updatedAt`). */
  deviceUsage(account: AccountId, device: DeviceId): string;
  /**
   * The same totals from Claude Code's telemetry (source `otlp`), kept apart: they are what a device
   * shows only while it has no transcript usage, so one device is never counted twice.
   */
  telemetryUsage(account: AccountId, device: DeviceId): string;
  /** The same totals from Claude Code's usage counters, shown only without transcripts or telemetry events. */
  counterUsage(account: AccountId, device: DeviceId): string;
  /** The totals of the device's latest ccusage snapshot, shown only without any other source. */
  snapshotUsage(account: AccountId, device: DeviceId): string;
  /** The last value of each cumulative counter series of a device (hash), to turn them into increments. */
  counterSeries(account: AccountId, device: DeviceId): string;
  /** The devices of an account that have usage (set). */
  accountDevices(account: AccountId): string;
  /**
   * Usage in quarter hours, which any IANA timezone's days, weeks and months are made of (some
   * zones are 30 or 45 minutes off the hour): the sorted set of bucket start times in ms, and one
   * hash per bucket from the JSON of `[device, model, project, field]` to its total. `model` is the
   * name reports list (empty for none); the fields are the token counts, `entries`, `costUSD` and
   * `unpriced` (messages with tokens but no price).
   */
  bucketIndex(account: AccountId): string;
  bucket(account: AccountId, startMs: number): string;
  /**
   * Where each model first appears in each bucket, in ccusage's read order (hash: `<start ms>\n<model>`
   * to the JSON of the read position), so reports list models in the order ccusage does.
   */
  bucketFirsts(account: AccountId): string;
  /**
   * Totals per session and per model (hash: the token counts, `entries`, `costUSD`), and their
   * index by last-seen time in ms (sorted set).
   */
  summary(kind: SummaryKind, account: AccountId, id: string): string;
  /**
   * The account's last 5-hour block over every device, kept current with every event (JSON: its
   * start, its chain's start, tokens, cost, models and each device's share); presented at read
   * time, since being active, burn rate and projection depend on the instant.
   */
  lastBlock(account: AccountId): string;
  summaryIndex(kind: SummaryKind, account: AccountId): string;
  /** A job's latest runs (sorted set: the JSON of each CronJobExecuted, with its seq, by seq). */
  cronRuns(account: AccountId, job: string): string;
  /**
   * The account's official rate-limit figures (hash: window name to the JSON of its newest
   * observation, `StoredRateLimitWindow`: the figures, the device, `observedAt` and the event's seq).
   */
  rateLimits(account: AccountId): string;
  /** Events applied in one wall-clock second (counter, expires), for the apply rate. */
  appliedInSecond(epochSecond: number): string;
}

export type SummaryKind = 'session' | 'model';

/** A field of `bucketFirsts`: a bucket's start and a model name. */
export function bucketFirstField(startMs: number, model: string): string {
  return `${startMs}\n${model}`;
}

/** A bucket's length: a quarter hour, the smallest offset step of any timezone. */
export const BUCKET_MS = 15 * 60 * 1000;

export function viewKeys(names: Names, version: number): ViewKeys {
  const prefix = `${names.redisPrefix}v${version}:`;
  return {
    checkpoint: `${prefix}checkpoint`,
    appliedEntries: (account, device) => `${prefix}applied:${account}:device:${device}`,
    messages: (account) => `${prefix}messages:${account}`,
    replays: (account) => `${prefix}replays:${account}`,
    countedByTime: (account) => `${prefix}counted-by-time:${account}`,
    counted: (account) => `${prefix}counted:${account}`,
    deviceUsage: (account, device) => `${prefix}usage:${account}:device:${device}`,
    telemetryUsage: (account, device) => `${prefix}usage:${account}:telemetry:${device}`,
    counterUsage: (account, device) => `${prefix}usage:${account}:counters:${device}`,
    snapshotUsage: (account, device) => `${prefix}usage:${account}:snapshot:${device}`,
    counterSeries: (account, device) => `${prefix}counters:${account}:device:${device}`,
    accountDevices: (account) => `${prefix}devices:${account}`,
    bucketIndex: (account) => `${prefix}buckets:${account}`,
    bucket: (account, startMs) => `${prefix}bucket:${account}:${startMs}`,
    bucketFirsts: (account) => `${prefix}bucket-firsts:${account}`,
    summary: (kind, account, id) => `${prefix}${kind}:${account}:${id}`,
    lastBlock: (account) => `${prefix}last-block:${account}`,
    summaryIndex: (kind, account) => `${prefix}${kind}s:${account}`,
    cronRuns: (account, job) => `${prefix}cron-runs:${account}:${job}`,
    rateLimits: (account) => `${prefix}rate-limits:${account}`,
    appliedInSecond: (epochSecond) => `${prefix}applied-in:${epochSecond}`,
  };
}

/** A device's views in the order they are preferred, for `shownDeviceHash`. */
export function deviceViewKeys(keys: ViewKeys, account: AccountId, device: DeviceId): readonly string[] {
  return [
    keys.deviceUsage(account, device),
    keys.telemetryUsage(account, device),
    keys.counterUsage(account, device),
    keys.snapshotUsage(account, device),
  ];
}

/** The live burn rate's window in minutes; each minute's counters are kept a little longer. */
export const BURN_WINDOW_MINUTES = 10;

/**
 * Live data under `<ns>:live:`, as the seeds describe it: state with TTLs that is not history and
 * is never rebuilt, so it is outside the projection versions.
 */
export interface LiveKeys {
  /** A device's last heartbeat (string, expires when heartbeats stop). */
  presence(account: AccountId, device: DeviceId): string;
  /** Devices of an account seen online and not yet reported gone (set). */
  online(account: AccountId): string;
  /** Accounts with devices online (set), for the sweep that notices devices going away. */
  readonly onlineAccounts: string;
  /**
   * Tokens and cost of an account's messages timestamped in one minute (hash: `tokens`, `costUSD`;
   * expires), for the burn rate over the last minutes.
   */
  burnMinute(account: AccountId, epochMinute: number): string;
  /** Gateway replicas with sockets (sorted set: replica id, scored by when its entry expires). */
  readonly gateways: string;
  /** One gateway replica's socket counts (string: JSON; expires if the replica dies). */
  gateway(id: string): string;
}

export function liveKeys(names: Names): LiveKeys {
  const prefix = `${names.redisPrefix}live:`;
  return {
    presence: (account, device) => `${prefix}presence:${account}:${device}`,
    online: (account) => `${prefix}online:${account}`,
    onlineAccounts: `${prefix}online-accounts`,
    burnMinute: (account, epochMinute) => `${prefix}burn:${account}:${epochMinute}`,
    gateways: `${prefix}gateways`,
    gateway: (id) => `${prefix}gateway:${id}`,
  };
}
