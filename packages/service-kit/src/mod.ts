export type { ResolvedAdminToken } from './admin-token.ts';
export { announceGeneratedToken, generateAdminToken, resolveAdminToken } from './admin-token.ts';
export type { Authenticator, Principal, Scope } from './auth.ts';
export {
  accountAuthenticator,
  adminTokenAuthenticator,
  assertAdmin,
  assertCanRead,
  assertCanWriteMetrics,
  assertOperator,
  deviceForPush,
  hashToken,
  principalOf,
  registerBearerAuth,
  tokenStoreAuthenticator,
} from './auth.ts';
export {
  BaseEnv,
  ChangeStreamEnv,
  ConfigError,
  changeStreamOptions,
  parseEnv,
  port,
  StreamEnv,
  streamOptions,
} from './config.ts';
export { Errors, errorOutcome, outcomeError } from './errors.ts';
export type { EventHistory, Stored } from './event-history.ts';
export { createEventHistory, eventIdOf, usageSnapshotEvent } from './event-history.ts';
export type { HttpServer, HttpServerOptions, ReadinessCheck } from './http-server.ts';
export { createHttpServer, SERVICE_VERSION } from './http-server.ts';
export type { JwtOptions } from './jwt.ts';
export { jwtAuthenticator } from './jwt.ts';
export type { Logger } from './logger.ts';
export { createLogger, redactUrl } from './logger.ts';
export { Counter, createMetrics, Gauge, Histogram } from './metrics.ts';
export type { ChangeStreamOptions, EventStreamOptions, NatsConnection } from './nats.ts';
export { connectNats, ensureChangeStream, ensureEventStream, natsIsUp } from './nats.ts';
export { highestConsumerVersion, ProjectionRegistry } from './projections.ts';
export { connectRedis, hmgetAll, Redis, redisIsUp, slices, waitForRedis } from './redis.ts';
export type { RunningService } from './run-service.ts';
export { runService } from './run-service.ts';
export { RuntimeConfig } from './runtime-config.ts';
export { dashboardHelmetConfig } from './security-headers.ts';
export type { IssueTokenCommand } from './token-store.ts';
export { TokenStore, tokenIdOf } from './token-store.ts';
export { readDeviceViews } from './views.ts';
