import { type AccountId, type Channel, CloseCodes, type ServerMessage } from '@ccsync/contracts';
import type { Principal } from '@ccsync/service-kit';

export interface ConnectionLimits {
  /** Bytes queued for a client that reads too slowly before it is disconnected to resume. */
  readonly maxBufferedBytes: number;
  /** Messages a client may send a second, on average; twice that in a burst. */
  readonly messagesPerSecond: number;
}

/** What a connection needs of its WebSocket (the `ws` socket @fastify/websocket hands over). */
export interface Socket {
  readonly readyState: number;
  /** Bytes queued by `send` and not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code: number, reason: string): void;
  ping(): void;
  /** Drops the connection without a closing handshake, for a peer that stopped answering. */
  terminate(): void;
}

const CONNECTING = 0;
const OPEN = 1;

/** A change on one channel, serialized once for every socket it goes to (see `positionedText`). */
interface Held {
  readonly channel: Channel;
  readonly seq: number;
  readonly text: string;
}

/**
 * One authenticated socket. It remembers, per history-backed channel, the last seq it sent, so
 * that a change reaching it twice (live and in a replay) is sent once, and while it replays it
 * holds live changes back, so that what it sends stays in stream order.
 */
export class Connection {
  readonly id: string;
  readonly principal: Principal;
  readonly channels = new Set<Channel>();
  /** Announced with `accept_commands`: relayed `terminal_command`s reach it. */
  acceptsCommands = false;
  /** Cleared at each server ping, set by the pong; a connection still clear at the next ping is dead. */
  alive = true;
  readonly socket: Socket;
  readonly #limits: ConnectionLimits;
  readonly #sent = new Map<Channel, number>();
  #held: Held[] | undefined;
  #tokens: number;
  #refilledAt = performance.now();
  #onClosed: (() => void) | undefined;

  constructor(id: string, principal: Principal, socket: Socket, limits: ConnectionLimits) {
    this.id = id;
    this.principal = principal;
    this.socket = socket;
    this.#limits = limits;
    this.#tokens = limits.messagesPerSecond * 2;
  }

  get account(): AccountId {
    return this.principal.account;
  }

  /** Called once when the socket is closed by the server for being too slow. */
  onSlowConsumer(callback: () => void): void {
    this.#onClosed = callback;
  }

  /**
   * Sends, unless the client has let too much pile up: then it is disconnected with a code that
   * tells it to reconnect and resume, and nothing more is queued for it.
   */
  send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message));
  }

  /** Sends a message serialized already, e.g. once for all the sockets it goes to. */
  sendText(text: string): void {
    if (this.socket.readyState !== OPEN) return;
    if (this.socket.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.close(CloseCodes.SlowConsumer, 'slow consumer: reconnect and resume');
      this.#onClosed?.();
      return;
    }
    this.socket.send(text);
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === OPEN || this.socket.readyState === CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  /** Subscribed from `seq` on: changes at or before it are not sent on this channel. */
  startAt(channel: Channel, seq: number): void {
    this.channels.add(channel);
    this.#sent.set(channel, Math.max(seq, this.#sent.get(channel) ?? 0));
  }

  stop(channel: Channel): void {
    this.channels.delete(channel);
    this.#sent.delete(channel);
  }

  /** A change on a channel this connection subscribed to, live or replayed. */
  deliver(change: Held): void {
    if (this.#held !== undefined) this.#held.push(change);
    else this.#deliverNow(change);
  }

  /** Holds live changes back until `release`, while a replay is fetched. */
  hold(): void {
    this.#held ??= [];
  }

  /** Sends the replayed changes and those held meanwhile, merged in stream order, then goes live. */
  release(replayed: readonly Held[]): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    // Stable: the same change on two channels (usage and device:<id>) keeps its order.
    const merged = [...replayed, ...held].sort((a, b) => a.seq - b.seq);
    for (const change of merged) this.#deliverNow(change);
  }

  #deliverNow({ channel, seq, text }: Held): void {
    if (!this.channels.has(channel) || seq <= (this.#sent.get(channel) ?? 0)) return;
    this.#sent.set(channel, seq);
    this.sendText(text);
  }

  /** A token bucket: false when the client sends faster than its limit allows. */
  allow(): boolean {
    const now = performance.now();
    const rate = this.#limits.messagesPerSecond;
    this.#tokens = Math.min(rate * 2, this.#tokens + ((now - this.#refilledAt) / 1000) * rate);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

export type { Held };
