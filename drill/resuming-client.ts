import type { DeviceUsage, Position } from '@ccsync/contracts';
import { waitFor } from '@ccsync/testkit';
import type { DrillContext } from './drill.ts';
import type { DrillStack } from './stack.ts';

/** One reconnect: how long from losing the socket to being subscribed again, and whether it resumed. */
export interface Reconnect {
  readonly ms: number;
  readonly recovered: boolean;
  readonly reason?: string;
}

/**
 * A dashboard-like WebSocket client that follows `usage` and `blocks`, and, when its socket is
 * lost, reconnects to the next gateway in its list and resumes from the position of the last
 * message it processed (`since`), as the README's Real-time API tells clients to.
 */
export interface ResumingClient {
  /** Every positioned message processed, as `channel@seq`, in order, across reconnects. */
  readonly positions: readonly string[];
  /** Each device's totals in the last `token_usage_update` about it. */
  readonly devices: ReadonlyMap<string, DeviceUsage>;
  readonly reconnects: readonly Reconnect[];
  /** A lost socket not yet subscribed again. */
  readonly reconnecting: boolean;
  /** Settles once the first subscription is confirmed. */
  readonly subscribed: Promise<void>;
  close(): void;
}

const SAME_FIELDS = [
  'entries',
  'inputTokens',
  'outputTokens',
  'cacheCreationTokens',
  'cacheReadTokens',
  'lastSeq',
] as const;

/**
 * How the totals a client was last told differ from the devices' totals the API serves, or
 * undefined when they are the same: the end state every live client must reach.
 */
export function staleTotals(client: ResumingClient, rest: readonly DeviceUsage[]): string | undefined {
  for (const device of rest) {
    const seen = client.devices.get(device.device);
    const field = SAME_FIELDS.find((name) => seen?.[name] !== device[name]);
    if (field !== undefined)
      return `ends with ${device.device}.${field} ${seen?.[field]}, the API says ${device[field]}`;
  }
  return undefined;
}

/**
 * A dashboard following the account through a drill, on any of the stack's gateways, with a
 * viewer token; closed when the drill ends.
 */
export async function watchAccount(context: DrillContext, stack: DrillStack): Promise<ResumingClient> {
  const client = openResumingClient(
    stack.gateways.map((gateway) => gateway.url.replace(/^http/, 'ws')),
    await stack.issueViewerToken(),
  );
  context.defer(() => client.close());
  await client.subscribed;
  return client;
}

/**
 * Waits briefly for a client to be told the devices' final totals (live means within moments of
 * the views), and says what is wrong if it is not, or if it was sent a message twice or could
 * not resume after losing its socket.
 */
export async function finalStateProblem(
  client: ResumingClient,
  rest: readonly DeviceUsage[],
  timeoutMs = 5_000,
): Promise<string | undefined> {
  await waitFor(() => staleTotals(client, rest) === undefined, { timeoutMs }).catch(() => undefined);
  const repeated = client.positions.length - new Set(client.positions).size;
  const failed = client.reconnects.find((reconnect) => !reconnect.recovered);
  if (repeated > 0) return `was sent ${repeated} messages twice`;
  if (failed !== undefined) return `could not resume (${failed.reason ?? 'no reason'})`;
  return staleTotals(client, rest);
}

interface Positioned {
  readonly type: string;
  readonly channel: string;
  readonly seq: number;
  readonly epoch: string;
  readonly payload?: { readonly device?: string; readonly usage?: DeviceUsage };
}

const CHANNELS = ['usage', 'blocks'];
/** A first retry soon after the loss, then a little later each time, up to a second. */
const retryDelay = (attempt: number) => Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2);

/** `gatewayUrls` are ws:// base URLs; the client starts on the first and moves on in order. */
export function openResumingClient(gatewayUrls: readonly string[], token: string): ResumingClient {
  const positions: string[] = [];
  const devices = new Map<string, DeviceUsage>();
  const reconnects: Reconnect[] = [];
  let position: Position | undefined;
  let socket: WebSocket | undefined;
  let closing = false;
  /** Subscribed at least once: from then on a lost socket is a reconnect to measure. */
  let live = false;
  let lostAt: number | undefined;
  let attempt = 0;
  let gateway = 0;
  let confirm: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const subscribed = new Promise<void>((resolve, reject) => {
    confirm = resolve;
    fail = reject;
  });

  const onMessage = (data: string) => {
    const message = JSON.parse(data) as Positioned & { recovered?: boolean; reason?: string; position?: Position };
    if (message.type === 'authenticated') {
      socket?.send(JSON.stringify({ type: 'subscribe', channels: CHANNELS, ...(position && { since: position }) }));
    } else if (message.type === 'subscribed') {
      if (!live) {
        live = true;
        position ??= message.position;
        confirm();
      } else if (lostAt !== undefined) {
        reconnects.push({
          ms: performance.now() - lostAt,
          recovered: message.recovered === true,
          ...(message.reason === undefined ? {} : { reason: message.reason }),
        });
      }
      lostAt = undefined;
      attempt = 0;
    } else if (typeof message.seq === 'number' && typeof message.epoch === 'string') {
      positions.push(`${message.channel}@${message.seq}`);
      position = { seq: message.seq, epoch: message.epoch };
      const { device, usage } = message.payload ?? {};
      if (message.type === 'token_usage_update' && device !== undefined && usage !== undefined)
        devices.set(device, usage);
    }
  };

  const connect = () => {
    if (closing) return;
    const url = `${gatewayUrls[gateway % gatewayUrls.length]}/ws?token=${encodeURIComponent(token)}`;
    const current = new WebSocket(url);
    socket = current;
    current.addEventListener('message', (event) => onMessage(String(event.data)));
    // A failed open and a lost socket both end here.
    current.addEventListener('close', () => {
      if (closing || socket !== current) return;
      if (live) lostAt ??= performance.now();
      else if (attempt >= 10) return fail(new Error(`cannot subscribe on ${url}`));
      // This gateway is gone or refused: the next one in the list, after a short, jittered wait.
      gateway++;
      setTimeout(connect, retryDelay(attempt++));
    });
  };
  connect();

  return {
    positions,
    devices,
    reconnects,
    get reconnecting() {
      return lostAt !== undefined;
    },
    subscribed,
    close() {
      closing = true;
      socket?.close();
    },
  };
}
