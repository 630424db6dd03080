import type { AccountId, Channel, ServerMessage } from '@ccsync/contracts';

/** One connected WebSocket client, as the fan-out sees it. */
export interface RealtimeClient {
  readonly account: AccountId;
  readonly channels: Set<Channel>;
  send(message: ServerMessage): void;
}

/**
 * This replica's sockets, by account. Gateways share nothing: each receives every change notice
 * from NATS and delivers it to its own clients.
 */
export class FanOut {
  readonly #byAccount = new Map<AccountId, Set<RealtimeClient>>();

  add(client: RealtimeClient): void {
    const clients = this.#byAccount.get(client.account) ?? new Set();
    clients.add(client);
    this.#byAccount.set(client.account, clients);
  }

  remove(client: RealtimeClient): void {
    const clients = this.#byAccount.get(client.account);
    clients?.delete(client);
    if (clients?.size === 0) this.#byAccount.delete(client.account);
  }

  /** Sends to every client of the account that subscribed to the channel. */
  publish(account: AccountId, channel: Channel, message: ServerMessage): void {
    for (const client of this.#byAccount.get(account) ?? []) {
      if (client.channels.has(channel)) client.send(message);
    }
  }

  get size(): number {
    let total = 0;
    for (const clients of this.#byAccount.values()) total += clients.size;
    return total;
  }
}
