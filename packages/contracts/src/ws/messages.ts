import { z } from 'zod';
import { CronRun } from '../cron/runs.ts';
import { SyncRequested } from '../cron/scheduler.ts';
import { LiveMetricChanged } from '../http/live-metrics.ts';
import { RateLimitsChanged } from '../http/rate-limits.ts';
import { SimpleUsageFields } from '../http/usage.ts';
import { AccountId, DeviceId, StreamSeq } from '../ids.ts';
import { BlockChanged } from '../views/blocks.ts';
import { PresenceChanged, UsageChanged } from '../views/usage.ts';
import { RelayEventType, RelaySender, RoomId } from './relay.ts';

/**
 * A channel a client subscribes to. The account's channels; one device's usage (`device:<id>`);
 * and the rooms of seed 004 (`session:<id>`, `project:<id>`), where relayed events go.
 */
export const Channel = z.union([
  z.enum(['usage', 'blocks', 'presence', 'cron', 'metrics', 'sync']),
  z.templateLiteral(['device:', DeviceId]),
  z.templateLiteral(['session:', RoomId]),
  z.templateLiteral(['project:', RoomId]),
]);
export type Channel = z.infer<typeof Channel>;

/**
 * A position in the account's change history: the sequence of the last message seen and the
 * epoch it belongs to. A different epoch means the history was reset, and positions from the old
 * one mean nothing.
 */
export const Position = z.object({ seq: z.number().int().nonnegative(), epoch: z.string().min(1).max(100) });
export type Position = z.infer<typeof Position>;

/** Why a subscription could not replay what the client missed; the client reloads over REST. */
export const RecoveryFailure = z.enum(['epoch_changed', 'history_expired', 'gap_too_large', 'unavailable']);
export type RecoveryFailure = z.infer<typeof RecoveryFailure>;

/** The progress of one `PUT /api/usage/sync`: asked, then answered by each agent that pushed. */
export const SyncStatus = z.discriminatedUnion('state', [
  SyncRequested.omit({ account: true }).extend({ state: z.literal('requested') }),
  z.object({
    state: z.enum(['done', 'failed']),
    requestId: z.string().min(1).max(100),
    device: DeviceId,
    /** Usage records the push sent. */
    records: z.number().int().nonnegative(),
    error: z.string().max(1000).optional(),
    at: z.iso.datetime(),
  }),
]);
export type SyncStatus = z.infer<typeof SyncStatus>;

/** An agent's answer to a sync request, published for every gateway's `sync` channel. */
export const SyncAnswered = z.object({ account: AccountId, status: SyncStatus });
export type SyncAnswered = z.infer<typeof SyncAnswered>;

const channels = z.array(Channel).min(1).max(64);

/** What a WebSocket client may send. */
export const ClientMessage = z.discriminatedUnion('type', [
  /** The first message, when the token was not sent with the upgrade request. */
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(4096) }),
  /**
   * Subscribes. With `since` (the position of the last message seen), the history-backed channels
   * first replay what was missed; `subscribed` says whether that was possible.
   */
  z.object({ type: z.literal('subscribe'), channels, since: Position.optional() }),
  z.object({ type: z.literal('unsubscribe'), channels }),
  /** Seed 004's room joins, the same as subscribing to `session:<id>` or `project:<id>`. */
  z.object({ type: z.literal('join_session'), sessionId: RoomId }),
  z.object({ type: z.literal('join_project'), projectId: RoomId }),
  /** This client runs the `terminal_command`s of the sessions it joined. */
  z.object({ type: z.literal('accept_commands') }),
  z.object({ type: z.literal('ping') }),
  /** The seed's `update_usage`, the simple REST form over the socket; the idempotency key is required. */
  SimpleUsageFields.extend({
    type: z.literal('update_usage'),
    deviceId: DeviceId,
    idempotencyKey: z.string().min(1).max(256),
  }),
  /**
   * An agent's answer to `sync_status` `requested`: it pushed, or could not. A device token answers
   * for its device; an account-wide token names it, as it does to push.
   */
  z.object({
    type: z.literal('sync_result'),
    device: DeviceId.optional(),
    requestId: z.string().min(1).max(100),
    ok: z.boolean(),
    records: z.number().int().nonnegative(),
    error: z.string().max(1000).optional(),
  }),
  /** A relayed event, validated by its type (see relay.ts). `system_status` with no payload asks for the server's. */
  z.object({ type: RelayEventType, payload: z.unknown().optional() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Messages of the history-backed channels carry their position in the account's change history. */
const positioned = { channel: Channel, seq: StreamSeq, epoch: z.string() };

/** What the gateway sends. */
export const ServerMessage = z.discriminatedUnion('type', [
  /** On `usage` and `device:<id>`: a device's totals changed by the event at `payload.seq`. */
  z.object({ type: z.literal('token_usage_update'), ...positioned, payload: UsageChanged }),
  /** On `blocks`: the account's last block after the event at `payload.seq`. */
  z.object({ type: z.literal('block_update'), ...positioned, payload: BlockChanged }),
  /** On `blocks`: the account's official rate-limit figures after the observation at `payload.seq`. */
  z.object({ type: z.literal('rate_limits_update'), ...positioned, payload: RateLimitsChanged }),
  /** On `presence`: a device started or stopped sending heartbeats. */
  z.object({ type: z.literal('device_connected'), ...positioned, payload: PresenceChanged }),
  z.object({ type: z.literal('device_disconnected'), ...positioned, payload: PresenceChanged }),
  /** On `cron`: a scheduled job ran; its CronJobExecuted event is at `payload.seq`. */
  z.object({ type: z.literal('cron_job_executed'), ...positioned, payload: CronRun }),
  /** On `metrics`: a live metric was set or deleted. */
  z.object({ type: z.literal('metric_update'), ...positioned, payload: LiveMetricChanged }),
  /** On `sync`: agents were asked to push now, and each one's answer. */
  z.object({ type: z.literal('sync_status'), channel: z.literal('sync'), payload: SyncStatus }),
  /** A relayed event of seed 004; `channel` is the room it went to, if any. */
  z.object({
    type: RelayEventType,
    channel: Channel.optional(),
    payload: z.unknown(),
    from: RelaySender.optional(),
  }),
  z.object({
    type: z.literal('authenticated'),
    account: AccountId,
    scope: z.string(),
    device: DeviceId.optional(),
    connection: z.string(),
  }),
  /**
   * The answer to `subscribe`: the channels now subscribed and the current position, from which
   * to resume later. With `since`, whether the missed messages were replayed before this one.
   */
  z.object({
    type: z.literal('subscribed'),
    channels: z.array(Channel),
    position: Position,
    recovered: z.boolean().optional(),
    replayed: z.number().int().nonnegative().optional(),
    reason: RecoveryFailure.optional(),
  }),
  z.object({ type: z.literal('unsubscribed'), channels: z.array(Channel) }),
  /** The answer to `accept_commands`. */
  z.object({ type: z.literal('commands_accepted') }),
  z.object({ type: z.literal('pong') }),
  /** The answer to `update_usage`: stored, at this stream sequence. */
  z.object({ type: z.literal('usage_recorded'), idempotencyKey: z.string(), seq: StreamSeq, duplicate: z.boolean() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/**
 * Close codes the gateway uses, besides 1001 (going away: reconnect, to another replica if there
 * is one, and resume) and 1008 (policy: do not retry with the same token).
 */
export const CloseCodes = {
  /** No valid token within the auth timeout. */
  Unauthorized: 4001,
  /** The client read too slowly and its buffer filled: reconnect and resume from the last position. */
  SlowConsumer: 4008,
} as const;
