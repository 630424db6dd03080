import type { AccountId, Channel } from '@ccsync/contracts';
import type { Change } from './change-feed.ts';
import { deliveryOf, positionedText } from './channels.ts';
import type { Connection } from './connection.ts';

/**
 * This replica's sockets, by account. Gateways share nothing: each receives every change notice
 * and relayed event from NATS and delivers it to its own clients.
 */
export class FanOut {
  readonly #byAccount = new Map<AccountId, Set<Connection>>();

  add(connection: Connection): void {
    const connections = this.#byAccount.get(connection.account) ?? new Set();
    connections.add(connection);
    this.#byAccount.set(connection.account, connections);
  }

  remove(connection: Connection): void {
    const connections = this.#byAccount.get(connection.account);
    connections?.delete(connection);
    if (connections?.size === 0) this.#byAccount.delete(connection.account);
  }

  /**
   * Sends a stored change to every connection of its account subscribed to one of its channels,
   * serialized once per channel however many sockets it goes to.
   */
  publishChange(change: Change, epoch: string): void {
    const connections = this.#byAccount.get(change.account);
    if (connections === undefined) return;
    const delivery = deliveryOf(change);
    if (delivery === undefined) return;
    const texts = new Map<Channel, string>();
    for (const connection of connections) {
      for (const channel of delivery.channels) {
        if (!connection.channels.has(channel)) continue;
        let text = texts.get(channel);
        if (text === undefined) {
          text = positionedText(delivery.message, channel, change.seq, epoch);
          texts.set(channel, text);
        }
        connection.deliver({ channel, seq: change.seq, text });
      }
    }
  }

  /** The account's connections on this replica. */
  connectionsOf(account: AccountId): Iterable<Connection> {
    return this.#byAccount.get(account) ?? [];
  }

  all(): Iterable<Connection> {
    return [...this.#byAccount.values()].flatMap((connections) => [...connections]);
  }

  /** Sockets per account on this replica. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.#byAccount].map(([account, connections]) => [account, connections.size]));
  }

  get size(): number {
    let total = 0;
    for (const connections of this.#byAccount.values()) total += connections.size;
    return total;
  }
}
