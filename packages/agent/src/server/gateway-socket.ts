import { type Channel, type ClientMessage, CloseCodes, ServerMessage } from '@ccsync/contracts';

type Authenticated = Extract<ServerMessage, { type: 'authenticated' }>;

export interface GatewaySocketOptions {
  /** The gateway's `/ws` address. */
  readonly socketUrl: string;
  readonly token: string;
  readonly channels: readonly Channel[];
  /** Every message after the subscription is confirmed; `send` answers on the same socket. */
  readonly onMessage: (message: ServerMessage, send: (message: ClientMessage) => void) => void;
  /** Subscribed: from now on no change is missed, so whatever changed while away can be read now. */
  readonly onSubscribed?: () => void;
  readonly onConnecting?: () => void;
  /** The socket closed; the next attempt is at `atMs`. */
  readonly onReconnecting?: (atMs: number, reason: string) => void;
  /** Authenticated as `message.scope`: a reason to give up (the token cannot do the job), or nothing. */
  readonly refuse?: (message: Authenticated) => string | undefined;
  /** The token was refused, or may not read a channel: retrying with it is pointless, so it stops. */
  readonly onRefused: (message: string) => void;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/**
 * Keeps a WebSocket to the gateway subscribed to `channels`, for the agent's long-running
 * commands. The token goes in the first message, so it never shows up in a URL or a proxy's logs.
 * Reconnects with exponential backoff; gives up only when the token is refused. Returns a function
 * that stops.
 */
export function followGateway(options: GatewaySocketOptions): () => void {
  const { socketUrl, token, channels, onMessage, onSubscribed, onConnecting, onReconnecting, refuse, onRefused } =
    options;
  let stopped = false;
  let socket: WebSocket | undefined;
  let retryMs = FIRST_RETRY_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const giveUp = (message: string) => {
    if (stopped) return;
    stopped = true;
    socket?.close(1000, 'token refused');
    onRefused(message);
  };

  const connect = () => {
    onConnecting?.();
    const current = new WebSocket(socketUrl);
    socket = current;
    const send = (message: ClientMessage) => {
      if (current.readyState === WebSocket.OPEN) current.send(JSON.stringify(message));
    };
    current.addEventListener('open', () => send({ type: 'auth', token }));
    current.addEventListener('message', (event) => {
      let parsed: ReturnType<typeof ServerMessage.safeParse>;
      try {
        parsed = ServerMessage.safeParse(JSON.parse(String(event.data)));
      } catch {
        return;
      }
      if (!parsed.success || stopped) return;
      const message = parsed.data;
      if (message.type === 'authenticated') {
        const reason = refuse?.(message);
        if (reason !== undefined) giveUp(reason);
        else send({ type: 'subscribe', channels: [...channels] });
      } else if (message.type === 'subscribed') {
        retryMs = FIRST_RETRY_MS;
        onSubscribed?.();
      } else if (message.type === 'error' && message.code === 'CCSYNC_FORBIDDEN') {
        giveUp(`The gateway refused the subscription: ${message.message}`);
      } else {
        onMessage(message, send);
      }
    });
    current.addEventListener('close', ({ code, reason }) => {
      if (stopped || socket !== current) return;
      if (code === CloseCodes.Unauthorized || code === 1008) {
        giveUp(`The gateway at ${socketUrl} refused the token${reason === '' ? '' : ` (${reason})`}`);
        return;
      }
      onReconnecting?.(Date.now() + retryMs, code === 1006 ? 'gateway unreachable' : `closed ${code}`);
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
