import type { DeviceId } from '@ccsync/contracts';
import { followGateway } from '../server/gateway-socket.ts';

/** What the agent answers a sync request with, once it has pushed. */
export interface SyncAnswer {
  readonly ok: boolean;
  readonly records: number;
  readonly error?: string;
}

export interface SyncRequestsOptions {
  /** The gateway's http(s) address; the socket is its `/ws`. */
  readonly gatewayUrl: string;
  readonly token: string;
  /** The device it answers for (an account-wide token must name it). */
  readonly device: DeviceId;
  /** Pushes now; called once per request, never twice at once by this module. */
  readonly onRequest: (requestId: string) => Promise<SyncAnswer>;
  /** A problem worth telling the user about (a refused token). */
  readonly onFatal: (message: string) => void;
}

/**
 * Keeps a WebSocket to the gateway open and answers its sync requests (`PUT /api/usage/sync`,
 * the scheduler's sync jobs) by pushing now. Returns a function that stops.
 */
export function followSyncRequests({ gatewayUrl, token, device, onRequest, onFatal }: SyncRequestsOptions): () => void {
  return followGateway({
    socketUrl: `${gatewayUrl.replace(/^http/, 'ws')}/ws`,
    token,
    channels: ['sync'],
    onMessage: (message, send) => {
      if (message.type !== 'sync_status' || message.payload.state !== 'requested') return;
      const { requestId } = message.payload;
      void onRequest(requestId).then((answer) => send({ type: 'sync_result', requestId, device, ...answer }));
    },
    onRefused: (message) => onFatal(`${message}; sync requests will not reach this device`),
  });
}
