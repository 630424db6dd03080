import { followGateway } from '../server/gateway-socket.ts';
import type { ConnectionState } from './frame.ts';

export interface AccountChangesOptions {
  /** The gateway's `/ws` address. */
  readonly socketUrl: string;
  readonly token: string;
  /** The account's block or usage changed: a `block_update` or `token_usage_update` arrived. */
  readonly onChange: () => void;
  readonly onPresence: (device: string, online: boolean) => void;
  /** Connecting, reconnecting after a delay, or live: subscribed, so from now on no change is missed. */
  readonly onConnection: (state: ConnectionState) => void;
  /** The gateway refused the token: retrying with it is pointless. */
  readonly onRefused: (message: string) => void;
}

/**
 * Follows the account's `blocks`, `usage` and `presence` channels on the gateway's WebSocket.
 * Returns a function that stops.
 */
export function followAccountChanges(options: AccountChangesOptions): () => void {
  const { socketUrl, token, onChange, onPresence, onConnection, onRefused } = options;
  return followGateway({
    socketUrl,
    token,
    channels: ['blocks', 'usage', 'presence'],
    onConnecting: () => onConnection({ kind: 'connecting' }),
    onReconnecting: (atMs, reason) => onConnection({ kind: 'reconnecting', atMs, reason }),
    onSubscribed: () => onConnection({ kind: 'live' }),
    onMessage: (message) => {
      if (message.type === 'block_update' || message.type === 'token_usage_update') onChange();
      else if (message.type === 'device_connected' || message.type === 'device_disconnected')
        onPresence(message.payload.device, message.payload.online);
    },
    onRefused,
  });
}
