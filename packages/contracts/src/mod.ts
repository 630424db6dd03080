export {
  CreateAccountReply,
  CreateAccountRequest,
  IssuedToken,
  IssueTokenRequest,
  RegisterDeviceReply,
  RegisterDeviceRequest,
  RemoveMachineParams,
  RemoveMachineReply,
  StoredAccount,
  StoredToken,
  TokenId,
  TokenIdParams,
  TokenInfo,
  TokenListReply,
  TokenScope,
} from './auth/tokens.ts';
export {
  CcusageJobArgs,
  ClaudeJobArgs,
  CreateCronJobRequest,
  CronCommandJob,
  CronJob,
  CronJobId,
  CronJobKind,
  CronJobListReply,
  CronJobParams,
  CronJobSpec,
  CronJobView,
  CronRule,
  ExecuteCronJobQuery,
  NotifyJobArgs,
  SERVER_PROGRAM_KINDS,
  SyncJobArgs,
  UpdateCronJobRequest,
  WebhookJobArgs,
} from './cron/jobs.ts';
export {
  CRON_RUNS_KEPT,
  CronRun,
  CronRunChanged,
  CronRunsQuery,
  CronRunsReply,
  ExecuteCronJobReply,
} from './cron/runs.ts';
export { SchedulerCaller, SchedulerReply, SchedulerRequest, SyncRequested } from './cron/scheduler.ts';
export { CronJobExecutedV1, CronRunStatus } from './events/cron-job-executed.ts';
export { DeviceRegisteredV1 } from './events/device-registered.ts';
export type { DecodeResult, DomainEvent } from './events/envelope.ts';
export { decodeEvent, EventEnvelope, newEvent } from './events/envelope.ts';
export { RateLimitsObservedV1 } from './events/rate-limits-observed.ts';
export type { EventData, EventType } from './events/registry.ts';
export { EVENT_TYPES, eventDefinitions, isEventType } from './events/registry.ts';
export { CounterPoint, UsageCountersObservedV1 } from './events/usage-counters-observed.ts';
export {
  MAX_ENTRIES_PER_EVENT,
  UsageEntry,
  UsageRecordedV1,
  UsageSource,
  UsageTokens,
} from './events/usage-recorded.ts';
export { CcusageDailyReport, UsageSnapshotRecordedV1 } from './events/usage-snapshot-recorded.ts';
export {
  ForgeDailyQuery,
  ForgeDailyReply,
  ForgeDay,
  ForgeMachinesReply,
  ForgeModelsReply,
  ForgeTotalsReply,
} from './http/claudeforge.ts';
export { ErrorReply, HealthReply, ReadyReply, TimeZone } from './http/common.ts';
export {
  ConfigReply,
  LogLevel,
  RedisConfigReply,
  RuntimeSettings,
  RuntimeSettingsUpdate,
} from './http/config.ts';
export {
  DEFAULT_METRIC_TTL_SECONDS,
  LiveMetric,
  LiveMetricChanged,
  LiveMetricsReply,
  MAX_METRIC_TTL_SECONDS,
  MetricKey,
  MetricKeyParams,
  metricsChangedSubject,
  SetMetricRequest,
} from './http/live-metrics.ts';
export { ProjectionStatus, ProjectionsReply, RebuildReply } from './http/projections.ts';
export {
  ObservedRateLimitWindow,
  RateLimitsChanged,
  RateLimitsReply,
  RateLimitsRequest,
  RateLimitWindow,
  RateLimitWindowName,
  RateLimitWindows,
  RecordRateLimitsReply,
} from './http/rate-limits.ts';
export { StatusReply } from './http/status.ts';
export {
  AccountUsageReply,
  DeviceHeartbeat,
  DeviceListReply,
  DeviceUsageParams,
  DeviceUsageReply,
  HeartbeatRequest,
  oneUsageForm,
  PushUsageReply,
  PushUsageRequest,
  SimpleUsageCommand,
  SimpleUsageFields,
  SimpleUsageOutcome,
  SimpleUsageRequest,
  SnapshotRequest,
  WhoAmIReply,
} from './http/usage.ts';
export { AccountId, DEFAULT_ACCOUNT, DeviceId, deviceIdFromHostname, EventId, Namespace, StreamSeq } from './ids.ts';
export type { Names } from './names.ts';
export { namesFor } from './names.ts';
export {
  ActiveBlockReply,
  BlockChanged,
  BlockDeviceShare,
  CcusageBlock,
  LiveBurnRate,
} from './views/blocks.ts';
export type { LiveKeys, SummaryKind, ViewKeys } from './views/keys.ts';
export { BUCKET_MS, BURN_WINDOW_MINUTES, bucketFirstField, deviceViewKeys, liveKeys, viewKeys } from './views/keys.ts';
export type { LiveMetricKeys } from './views/live-metrics-keys.ts';
export { liveMetricKeys } from './views/live-metrics-keys.ts';
export type { ProjectionRegistryKeys } from './views/projections.ts';
export {
  PROJECTION_LAYOUT,
  ProjectionState,
  ProjectionVersion,
  projectionRegistryKeys,
  projectorConsumerVersion,
} from './views/projections.ts';
export { rateLimitsFromHash, StoredRateLimitWindow } from './views/rate-limits.ts';
export {
  DeviceUsage,
  deviceUsageFromHash,
  PresenceChanged,
  shownDeviceHash,
  sumTotals,
  TokenTotals,
  UsageChanged,
  UsageDelta,
  zeroTotals,
} from './views/usage.ts';
export {
  Channel,
  ClientMessage,
  CloseCodes,
  Position,
  RecoveryFailure,
  ServerMessage,
  SyncAnswered,
  SyncStatus,
} from './ws/messages.ts';
export {
  ChatMessage,
  FileUpdate,
  parseRelayPayload,
  RelayEnvelope,
  RelayEventType,
  RelaySender,
  RoomId,
  relayRoom,
  SystemStatus,
  TerminalCommand,
  TerminalOutput,
  TtsNotification,
} from './ws/relay.ts';
