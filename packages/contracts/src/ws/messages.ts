import { z } from 'zod';
import { CronRun } from '../cron/runs.ts';
import { SyncRequested } from '../cron/scheduler.ts';
import { SimpleUsageFields } from '../http/usage.ts';
import { DeviceId, StreamSeq } from '../ids.ts';
import { BlockChanged } from '../views/blocks.ts';
import { PresenceChanged, UsageChanged } from '../views/usage.ts';

export const Channel = z.enum(['usage', 'presence', 'blocks', 'cron', 'sync']);
export type Channel = z.infer<typeof Channel>;

/** What a WebSocket client may send. */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), channels: z.array(Channel).min(1).max(32) }),
  z.object({ type: z.literal('unsubscribe'), channels: z.array(Channel).min(1).max(32) }),
  z.object({ type: z.literal('ping') }),
  /** The seed's `update_usage`, the simple REST form over the socket; the idempotency key is required. */
  SimpleUsageFields.extend({
    type: z.literal('update_usage'),
    deviceId: DeviceId,
    idempotencyKey: z.string().min(1).max(256),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** What the gateway sends. History-backed messages carry the stream sequence they reflect. */
export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('token_usage_update'), seq: StreamSeq, payload: UsageChanged }),
  /** On the `blocks` channel: the account's last block after the event at `seq`. */
  z.object({ type: z.literal('block_update'), seq: StreamSeq, payload: BlockChanged }),
  /** On the `presence` channel: a device started or stopped sending heartbeats. */
  z.object({ type: z.literal('device_connected'), payload: PresenceChanged }),
  z.object({ type: z.literal('device_disconnected'), payload: PresenceChanged }),
  /** On the `cron` channel: a scheduled job ran; its CronJobExecuted event is at `seq`. */
  z.object({ type: z.literal('cron_job_executed'), seq: StreamSeq, payload: CronRun }),
  /** On the `sync` channel: agents were asked to push now. */
  z.object({
    type: z.literal('sync_status'),
    payload: SyncRequested.omit({ account: true }).extend({ state: z.literal('requested') }),
  }),
  z.object({ type: z.literal('subscribed'), channels: z.array(Channel) }),
  z.object({ type: z.literal('unsubscribed'), channels: z.array(Channel) }),
  z.object({ type: z.literal('pong') }),
  /** The answer to `update_usage`: stored, at this stream sequence. */
  z.object({ type: z.literal('usage_recorded'), idempotencyKey: z.string(), seq: StreamSeq, duplicate: z.boolean() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
