import type { Position, ServerMessage } from '@ccsync/contracts';

/** The account's channels the dashboard follows; the gateway can replay each of them. */
export const LIVE_CHANNELS = ['usage', 'blocks', 'presence', 'cron'] as const;
export type LiveChannel = (typeof LIVE_CHANNELS)[number];

export type ConnectionState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  | { readonly kind: 'reconnecting'; readonly inMs: number }
  | { readonly kind: 'stopped' };

export interface LiveHandlers {
  state(state: ConnectionState): void;
  /** The account that the socket authenticated as, and the token's scope. */
  authenticated(account: string, scope: string): void;
  /** Something changed on a channel (live, or replayed after a reconnect). */
  changed(channel: LiveChannel): void;
  /** Subscribed from nothing, or what was missed could not be replayed: load everything over REST again. */
  reload(): void;
  /** The gateway refused the token (close 4001, or 1008 for a token that may not open sockets). */
  refused(reason: string): void;
}

/** Reconnect delays double from the first up to the last, each with jitter so clients do not return together. */
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 30_000;
const REFUSED_CODES = new Set([4001, 1008]);

/** Where the socket is: this page's own origin, so the page's `connect-src 'self'` covers it. */
function socketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

/** A change that carries its position on its channel; other messages carry none. */
function positioned(message: ServerMessage): { channel: LiveChannel; position: Position } | undefined {
  switch (message.type) {
    case 'token_usage_update':
    case 'block_update':
    case 'device_connected':
    case 'device_disconnected':
    case 'cron_job_executed':
      return isLiveChannel(message.channel)
        ? { channel: message.channel, position: { seq: message.seq, epoch: message.epoch } }
        : undefined;
    default:
      return undefined;
  }
}

function isLiveChannel(channel: string): channel is LiveChannel {
  return (LIVE_CHANNELS as readonly string[]).includes(channel);
}

/**
 * The gateway's WebSocket, kept open. The token goes in the first message, never in the URL.
 * Each channel's position is the last message processed on it; after a reconnect every channel is
 * subscribed again from its own position, so the gateway replays exactly what was missed. When it
 * cannot, or on the first subscription, the page reloads its data over REST.
 */
export class LiveConnection {
  readonly #token: string;
  readonly #handlers: LiveHandlers;
  readonly #positions = new Map<LiveChannel, Position>();
  /** Subscriptions sent and not yet answered; the gateway answers a socket's messages in order. */
  #pending: { readonly channels: readonly LiveChannel[]; readonly resumed: boolean }[] = [];
  #reloadWhenSubscribed = false;
  #socket: WebSocket | undefined;
  #failures = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  readonly #online = () => this.#reconnectNow();

  constructor(token: string, handlers: LiveHandlers) {
    this.#token = token;
    this.#handlers = handlers;
  }

  start(): void {
    this.#stopped = false;
    window.addEventListener('online', this.#online);
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    window.removeEventListener('online', this.#online);
    clearTimeout(this.#retry);
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, 'signed out');
    this.#handlers.state({ kind: 'stopped' });
  }

  #connect(): void {
    this.#retry = undefined;
    this.#pending = [];
    this.#handlers.state({ kind: 'connecting' });
    const socket = new WebSocket(socketUrl());
    this.#socket = socket;
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'auth', token: this.#token })));
    socket.addEventListener('message', (event) => {
      if (this.#socket === socket) this.#receive(socket, JSON.parse(String(event.data)) as ServerMessage);
    });
    socket.addEventListener('close', (event) => {
      if (this.#socket === socket) this.#closed(event);
    });
  }

  #receive(socket: WebSocket, message: ServerMessage): void {
    switch (message.type) {
      case 'authenticated':
        this.#handlers.authenticated(message.account, message.scope);
        this.#subscribe(socket);
        return;
      case 'subscribed':
        this.#answered(message);
        return;
      case 'error':
        // A refused subscription is answered with an error instead of `subscribed`.
        if (message.code === 'CCSYNC_FORBIDDEN' && this.#pending.length > 0) {
          this.#pending.shift();
          this.#settle();
        }
        return;
      default: {
        const change = positioned(message);
        if (change === undefined) return;
        this.#positions.set(change.channel, change.position);
        this.#handlers.changed(change.channel);
      }
    }
  }

  /** The first time all channels at once; after a reconnect each from its own position. */
  #subscribe(socket: WebSocket): void {
    const send = (channels: readonly LiveChannel[], since?: Position) => {
      this.#pending.push({ channels, resumed: since !== undefined });
      socket.send(JSON.stringify({ type: 'subscribe', channels, ...(since === undefined ? {} : { since }) }));
    };
    const fresh = LIVE_CHANNELS.filter((channel) => !this.#positions.has(channel));
    if (fresh.length > 0) send(fresh);
    for (const channel of LIVE_CHANNELS) {
      const since = this.#positions.get(channel);
      if (since !== undefined && !fresh.includes(channel)) send([channel], since);
    }
  }

  #answered(reply: Extract<ServerMessage, { type: 'subscribed' }>): void {
    const request = this.#pending.shift();
    if (request === undefined) return;
    // Not replayed: the channel goes on from now, and what happened meanwhile comes from REST.
    if (!request.resumed || reply.recovered !== true) {
      for (const channel of request.channels) this.#positions.set(channel, reply.position);
      this.#reloadWhenSubscribed = true;
    }
    this.#settle();
  }

  #settle(): void {
    if (this.#pending.length > 0) return;
    this.#failures = 0;
    this.#handlers.state({ kind: 'live' });
    if (this.#reloadWhenSubscribed) {
      this.#reloadWhenSubscribed = false;
      this.#handlers.reload();
    }
  }

  #closed(event: CloseEvent): void {
    this.#socket = undefined;
    if (this.#stopped) return;
    if (REFUSED_CODES.has(event.code)) {
      this.#stopped = true;
      this.#handlers.state({ kind: 'stopped' });
      this.#handlers.refused(event.reason || 'The token was refused');
      return;
    }
    const ceiling = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.#failures);
    const inMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#failures++;
    this.#handlers.state({ kind: 'reconnecting', inMs });
    this.#retry = setTimeout(() => this.#connect(), inMs);
  }

  /** The browser is back online: no reason to wait for the next attempt. */
  #reconnectNow(): void {
    if (this.#stopped || this.#retry === undefined) return;
    clearTimeout(this.#retry);
    this.#connect();
  }
}
