import type { EventType } from './events/registry.ts';
import type { AccountId, Namespace } from './ids.ts';

/**
 * Every stream, subject, consumer and key prefix is derived here from one namespace, so two
 * stacks with different namespaces can share one NATS and one Redis without seeing each other.
 */
export interface Names {
  readonly namespace: Namespace;
  /** The JetStream stream that holds the complete event history. */
  readonly eventStream: string;
  /** Subjects captured by the event stream. */
  readonly eventSubjects: string;
  /** The subject an account's event of one type is published on. */
  eventSubject(account: AccountId, type: EventType): string;
  /** Every account's events of one type, for filtered reads. */
  eventsOfType(type: EventType): string;
  /** All of one account's events, for filtered replays. */
  accountEventSubjects(account: AccountId): string;
  /**
   * The JetStream stream of change notices (`<ns>.changes.>`), kept for a while so that a client
   * that reconnects can be sent what it missed. Its sequence is the position clients resume from.
   */
  readonly changeStream: string;
  readonly changeSubjects: string;
  /** All of one account's change notices, for replays. */
  accountChangeSubjects(account: AccountId): string;
  /** Notices that a device's usage changed, for gateways to fan out (change stream). */
  usageChangedSubject(account: AccountId): string;
  readonly allUsageChangedSubjects: string;
  /** Notices that an account's last 5-hour block changed (change stream). */
  blocksChangedSubject(account: AccountId): string;
  readonly allBlocksChangedSubjects: string;
  /** Notices that a device came online or went offline (change stream). */
  presenceChangedSubject(account: AccountId): string;
  readonly allPresenceChangedSubjects: string;
  /** Core NATS device heartbeats, from which presence is derived; not stored. */
  presenceSubject(account: AccountId): string;
  readonly allPresenceSubjects: string;
  /** Notices that a scheduled job ran (change stream). */
  cronChangedSubject(account: AccountId): string;
  readonly allCronChangedSubjects: string;
  /** Notices that an account's official rate-limit figures changed (change stream). */
  rateLimitsChangedSubject(account: AccountId): string;
  readonly allRateLimitsChangedSubjects: string;
  /** Core NATS requests that an account's connected agents push now. */
  syncRequestSubject(account: AccountId): string;
  readonly allSyncRequestSubjects: string;
  /** Core NATS answers of agents to sync requests. */
  syncAnsweredSubject(account: AccountId): string;
  readonly allSyncAnsweredSubjects: string;
  /** Core NATS messages relayed between the clients of one account (seed 004's events). */
  relaySubject(account: AccountId): string;
  readonly allRelaySubjects: string;
  /** Request/reply subject on which the scheduler manages and runs jobs for the gateway. */
  readonly schedulerRequests: string;
  /** The NATS KV bucket of scheduled jobs, which every scheduler replica follows. */
  readonly cronJobsBucket: string;
  /** The NATS KV bucket of claimed runs: one key per (job, scheduled time), created once. */
  readonly cronRunsBucket: string;
  /** Request/reply subject on which ingest records usage for the gateway's `update_usage`. */
  readonly ingestUsageRequests: string;
  /** The durable pull consumer of one projection version. */
  projectorConsumer(version: number): string;
  /** Core NATS notices that the projection registry changed (a rebuild requested, reads switched). */
  readonly projectionsChangedSubject: string;
  /** The NATS KV bucket of accounts and token hashes: state that must survive Redis. */
  readonly authBucket: string;
  /** The NATS KV bucket of the settings that can change at run time. */
  readonly configBucket: string;
  /** The prefix of every Redis key of this namespace. */
  readonly redisPrefix: string;
}

export function namesFor(namespace: Namespace): Names {
  return {
    namespace,
    eventStream: `${namespace}_events`,
    eventSubjects: `${namespace}.events.>`,
    eventSubject: (account, type) => `${namespace}.events.${account}.${type}`,
    eventsOfType: (type) => `${namespace}.events.*.${type}`,
    accountEventSubjects: (account) => `${namespace}.events.${account}.>`,
    changeStream: `${namespace}_changes`,
    changeSubjects: `${namespace}.changes.>`,
    accountChangeSubjects: (account) => `${namespace}.changes.${account}.>`,
    usageChangedSubject: (account) => `${namespace}.changes.${account}.usage`,
    allUsageChangedSubjects: `${namespace}.changes.*.usage`,
    blocksChangedSubject: (account) => `${namespace}.changes.${account}.blocks`,
    allBlocksChangedSubjects: `${namespace}.changes.*.blocks`,
    presenceChangedSubject: (account) => `${namespace}.changes.${account}.presence`,
    allPresenceChangedSubjects: `${namespace}.changes.*.presence`,
    presenceSubject: (account) => `${namespace}.presence.${account}`,
    allPresenceSubjects: `${namespace}.presence.*`,
    cronChangedSubject: (account) => `${namespace}.changes.${account}.cron`,
    allCronChangedSubjects: `${namespace}.changes.*.cron`,
    rateLimitsChangedSubject: (account) => `${namespace}.changes.${account}.rate-limits`,
    allRateLimitsChangedSubjects: `${namespace}.changes.*.rate-limits`,
    syncRequestSubject: (account) => `${namespace}.sync.${account}`,
    allSyncRequestSubjects: `${namespace}.sync.*`,
    syncAnsweredSubject: (account) => `${namespace}.sync.${account}.answered`,
    allSyncAnsweredSubjects: `${namespace}.sync.*.answered`,
    relaySubject: (account) => `${namespace}.relay.${account}`,
    allRelaySubjects: `${namespace}.relay.*`,
    schedulerRequests: `${namespace}.scheduler.requests`,
    cronJobsBucket: `${namespace}_cron_jobs`,
    cronRunsBucket: `${namespace}_cron_runs`,
    ingestUsageRequests: `${namespace}.ingest.usage`,
    projectorConsumer: (version) => `${namespace}_projector_v${version}`,
    projectionsChangedSubject: `${namespace}.projections.changed`,
    authBucket: `${namespace}_auth`,
    configBucket: `${namespace}_config`,
    redisPrefix: `${namespace}:`,
  };
}
