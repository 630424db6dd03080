import {
  BlockChanged,
  type Channel,
  CronRunChanged,
  LiveMetricChanged,
  PresenceChanged,
  RateLimitsChanged,
  type ServerMessage,
  UsageChanged,
} from '@ccsync/contracts';
import type { Principal } from '@ccsync/service-kit';
import type { Change } from './change-feed.ts';

/** A change as sent: the channels it goes to, and the message without its channel and position. */
export interface Delivery {
  readonly channels: readonly Channel[];
  readonly message: PositionedMessage;
}

/** A history-backed message before its channel, seq and epoch are set. */
export type PositionedMessage = DistributiveOmit<
  Extract<ServerMessage, { seq: unknown; epoch: unknown }>,
  'channel' | 'seq' | 'epoch'
>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A change as sent on one channel, with its position: the same text for every socket. */
export function positionedText(message: PositionedMessage, channel: Channel, seq: number, epoch: string): string {
  return JSON.stringify({ type: message.type, channel, seq, epoch, payload: message.payload });
}

/** The channels whose messages are kept in the change stream, so a client can resume them. */
export function isHistoryBacked(channel: Channel): boolean {
  return (
    channel === 'usage' ||
    channel === 'blocks' ||
    channel === 'presence' ||
    channel === 'cron' ||
    channel === 'metrics' ||
    channel.startsWith('device:')
  );
}

/** What a stored notice becomes on the sockets; undefined for a notice of no channel, or malformed. */
export function deliveryOf(change: Change): Delivery | undefined {
  switch (change.kind) {
    case 'usage': {
      const notice = UsageChanged.safeParse(change.body);
      if (!notice.success) return undefined;
      return {
        channels: ['usage', `device:${notice.data.device}`],
        message: { type: 'token_usage_update', payload: notice.data },
      };
    }
    case 'blocks': {
      const notice = BlockChanged.safeParse(change.body);
      return notice.success
        ? { channels: ['blocks'], message: { type: 'block_update', payload: notice.data } }
        : undefined;
    }
    // The official figures go with the block, as what the block's usage counts against.
    case 'rate-limits': {
      const notice = RateLimitsChanged.safeParse(change.body);
      return notice.success
        ? { channels: ['blocks'], message: { type: 'rate_limits_update', payload: notice.data } }
        : undefined;
    }
    case 'presence': {
      const notice = PresenceChanged.safeParse(change.body);
      if (!notice.success) return undefined;
      const type = notice.data.online ? 'device_connected' : 'device_disconnected';
      return { channels: ['presence'], message: { type, payload: notice.data } };
    }
    case 'cron': {
      const notice = CronRunChanged.safeParse(change.body);
      return notice.success
        ? { channels: ['cron'], message: { type: 'cron_job_executed', payload: notice.data.run } }
        : undefined;
    }
    case 'metrics': {
      const notice = LiveMetricChanged.safeParse(change.body);
      return notice.success
        ? { channels: ['metrics'], message: { type: 'metric_update', payload: notice.data } }
        : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Who may subscribe where. Admins and viewers read everything of their account; device tokens
 * (the agents) only hear sync requests and join the rooms where relayed events go.
 */
export function maySubscribe(principal: Principal, channel: Channel): boolean {
  if (principal.scope === 'admin' || principal.scope === 'viewer') return true;
  if (principal.scope === 'device') {
    return channel === 'sync' || channel.startsWith('session:') || channel.startsWith('project:');
  }
  return false;
}
