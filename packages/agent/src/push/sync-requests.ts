import { CloseCodes, ServerMessage } from '@ccsync/contracts';

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
  readonly device: string;
  /** Pushes now; called once per request, never twice at once by this module. */
  readonly onRequest: (requestId: string) => Promise<SyncAnswer>;
  /** A problem worth telling the user about (a refused token). */
  readonly onFatal: (message: string) => void;
}

const MAX_RETRY_MS = 30_000;

/**
 * Keeps a WebSocket to the gateway open and answers its sync requests (`PUT /api/usage/sync`,
 * the scheduler's sync jobs) by pushing now. The token goes in the first message, not the URL,
 * so it never shows up in a proxy's logs. Reconnects with backoff; returns a function that stops.
 */
export function followSyncRequests({ gatewayUrl, token, device, onRequest, onFatal }: SyncRequestsOptions): () => void {
  const url = `${gatewayUrl.replace(/^http/, 'ws')}/ws`;
  let stopped = false;
  let socket: WebSocket | undefined;
  let retryMs = 1000;
  let retryTimer: NodeJS.Timeout | undefined;

  const connect = () => {
    const current = new WebSocket(url);
    socket = current;
    current.addEventListener('open', () => current.send(JSON.stringify({ type: 'auth', token })));
    current.addEventListener('message', (event) => {
      let parsed: ReturnType<typeof ServerMessage.safeParse>;
      try {
        parsed = ServerMessage.safeParse(JSON.parse(String(event.data)));
      } catch {
        return;
      }
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'authenticated') {
        retryMs = 1000;
        current.send(JSON.stringify({ type: 'subscribe', channels: ['sync'] }));
      } else if (message.type === 'sync_status' && message.payload.state === 'requested') {
        const { requestId } = message.payload;
        void onRequest(requestId).then((answer) => {
          if (current.readyState === WebSocket.OPEN)
            current.send(JSON.stringify({ type: 'sync_result', requestId, device, ...answer }));
        });
      }
    });
    current.addEventListener('close', ({ code, reason }) => {
      if (stopped) return;
      if (code === CloseCodes.Unauthorized || code === 1008) {
        onFatal(`The gateway at ${gatewayUrl} refused the token (${reason}); sync requests will not reach this device`);
        return;
      }
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    });
    // An error is followed by close, which retries.
    current.addEventListener('error', () => undefined);
  };
  connect();

  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    socket?.close(1000, 'agent stopping');
  };
}
