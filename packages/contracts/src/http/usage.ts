import { z } from 'zod';
import { MAX_ENTRIES_PER_EVENT, UsageEntry, UsageSource } from '../events/usage-recorded.ts';
import { CcusageDailyReport } from '../events/usage-snapshot-recorded.ts';
import { AccountId, DeviceId, EventId, StreamSeq } from '../ids.ts';
import { DeviceUsage, TokenTotals } from '../views/usage.ts';

/** `POST /v1/usage` on ingest: a device's batch of transcript records. */
export const PushUsageRequest = z.object({
  /** Required with an account-wide token; a device token may only name its own device. */
  device: DeviceId.optional(),
  /** The agent's transcript records; the other sources have routes of their own. */
  source: UsageSource.extract(['transcript']).default('transcript'),
  entries: z.array(UsageEntry).min(1).max(MAX_ENTRIES_PER_EVENT),
});
export type PushUsageRequest = z.infer<typeof PushUsageRequest>;

/** 202: JetStream has stored the batch. `duplicate` means an identical batch was stored before. */
export const PushUsageReply = z.object({
  eventId: EventId,
  seq: StreamSeq,
  accepted: z.number().int().nonnegative(),
  duplicate: z.boolean(),
});
export type PushUsageReply = z.infer<typeof PushUsageReply>;

export const DeviceUsageParams = z.object({ deviceId: DeviceId });

/** `GET /api/usage/:deviceId` on the gateway. */
export const DeviceUsageReply = DeviceUsage;
export type DeviceUsageReply = z.infer<typeof DeviceUsageReply>;

/** `GET /api/usage` on the gateway: every device of the caller's account, and their sum. */
export const AccountUsageReply = z.object({
  devices: z.array(DeviceUsage),
  totals: TokenTotals,
});
export type AccountUsageReply = z.infer<typeof AccountUsageReply>;

/** `POST /v1/heartbeat` on ingest: the agent's sign of life, from which presence is derived. */
export const HeartbeatRequest = z.object({ device: DeviceId.optional() });
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

/** Published on core NATS for each heartbeat. */
export const DeviceHeartbeat = z.object({ account: AccountId, device: DeviceId, at: z.iso.datetime() });
export type DeviceHeartbeat = z.infer<typeof DeviceHeartbeat>;

/** `GET /v1/whoami` on ingest: what the presented token is, so `ccsync login` can check it. */
export const WhoAmIReply = z.object({
  account: AccountId,
  scope: z.enum(['admin', 'viewer', 'device', 'metrics']),
  device: DeviceId.optional(),
});
export type WhoAmIReply = z.infer<typeof WhoAmIReply>;

/**
 * `POST /api/usage/:deviceId` on the gateway, which ingest records: the seed's simple form. Either a bare `tokens`
 * total, recorded as input tokens, or the four counts; an optional model prices it. An idempotency
 * key (this field or the `Idempotency-Key` header) makes a retried request count once.
 */
export const SimpleUsageFields = z.object({
  tokens: z.number().int().nonnegative().optional(),
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  cacheCreationTokens: z.number().int().nonnegative().optional(),
  cacheReadTokens: z.number().int().nonnegative().optional(),
  model: z.string().min(1).max(256).optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  idempotencyKey: z.string().min(1).max(256).optional(),
});

/** Exactly one of the two forms: a bare total, or the counts. */
export const oneUsageForm = [
  (body: z.infer<typeof SimpleUsageFields>) =>
    (body.tokens !== undefined) !==
    [body.inputTokens, body.outputTokens, body.cacheCreationTokens, body.cacheReadTokens].some(
      (count) => count !== undefined,
    ),
  {
    message: 'give either tokens or the token counts (inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens)',
  },
] as const;

export const SimpleUsageRequest = SimpleUsageFields.refine(...oneUsageForm);
export type SimpleUsageRequest = z.infer<typeof SimpleUsageRequest>;

/**
 * What the gateway asks ingest over NATS for the simple form (`POST /api/usage/:deviceId` or the
 * WebSocket's `update_usage`): who asked (the gateway authenticated them), for which device, and
 * the usage. Ingest applies the same rules as to `POST /v1/usage`.
 */
export const SimpleUsageCommand = z.object({
  principal: z.object({
    account: AccountId,
    scope: z.enum(['admin', 'viewer', 'device', 'metrics']),
    device: DeviceId.optional(),
  }),
  deviceId: DeviceId,
  usage: SimpleUsageFields.extend({ idempotencyKey: z.string().min(1).max(256) }),
});
export type SimpleUsageCommand = z.infer<typeof SimpleUsageCommand>;

/** Ingest's answer: the push reply, or the error it would have sent over HTTP. */
export const SimpleUsageOutcome = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), reply: PushUsageReply }),
  z.object({ ok: z.literal(false), statusCode: z.number().int(), code: z.string(), message: z.string() }),
]);
export type SimpleUsageOutcome = z.infer<typeof SimpleUsageOutcome>;

/** `POST /v1/snapshots` on ingest: a device's ccusage daily report, as the scheduler's job produces it. */
export const SnapshotRequest = z.object({
  device: DeviceId.optional(),
  timezone: z.string().min(1).max(64).optional(),
  report: CcusageDailyReport,
});
export type SnapshotRequest = z.infer<typeof SnapshotRequest>;

/** `GET /api/devices` on the gateway: every device of the account, its totals and whether it is online. */
export const DeviceListReply = z.object({
  devices: z.array(
    DeviceUsage.extend({
      online: z.boolean(),
      /** The last heartbeat while online; null once it went quiet. */
      lastHeartbeatAt: z.iso.datetime().nullable(),
    }),
  ),
});
export type DeviceListReply = z.infer<typeof DeviceListReply>;
