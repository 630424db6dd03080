import { setTimeout as sleep } from 'node:timers/promises';
import { AccountId, type Names, type RecoveryFailure } from '@ccsync/contracts';
import type { Logger, NatsConnection } from '@ccsync/service-kit';
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
} from '@nats-io/jetstream';

/** One stored change notice: where it is in the change stream, and whose it is. */
export interface Change {
  readonly seq: number;
  readonly account: AccountId;
  /** The last subject token: `usage`, `blocks`, `rate-limits`, `presence`, `cron` or `metrics`. */
  readonly kind: string;
  readonly body: unknown;
}

export type Replay =
  | { readonly ok: true; readonly changes: readonly Change[] }
  | { readonly ok: false; readonly reason: RecoveryFailure };

/**
 * The change stream as one gateway sees it: every notice, live and in order, and the past of one
 * account on request. Its sequence is the position clients resume from, and the stream's creation
 * time is the epoch: a stream made anew has positions that mean nothing to old clients.
 */
export interface ChangeFeed {
  readonly epoch: string;
  /** The last change delivered live: a new subscriber is current from here. */
  readonly position: number;
  /** The account's changes after `afterSeq`, if they are all still kept and at most `bound`. */
  replay(account: AccountId, afterSeq: number, bound: number): Promise<Replay>;
  stop(): Promise<void>;
}

export interface ChangeFeedDeps {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly names: Names;
  readonly logger: Logger;
}

/** How long a replay may take before the client is told to reload instead. */
const REPLAY_TIMEOUT_MS = 5000;
/** How soon to try again to follow the change stream when NATS is not ready yet. */
const RETRY_FOLLOW_MS = 500;

function toChange(message: JsMsg): Change | undefined {
  // <namespace>.changes.<account>.<kind>
  const [, , account, kind] = message.subject.split('.');
  const parsedAccount = AccountId.safeParse(account);
  if (!parsedAccount.success || kind === undefined) return undefined;
  try {
    return { seq: message.seq, account: parsedAccount.data, kind, body: message.json() };
  } catch {
    return undefined;
  }
}

/**
 * Follows the change stream from its end through an ordered consumer, which goes on from the
 * last notice delivered after a reconnect, so that `onChange` sees every notice once and in order.
 */
export async function startChangeFeed(
  { nc, jsm, names, logger }: ChangeFeedDeps,
  onChange: (change: Change, epoch: string) => void,
): Promise<ChangeFeed> {
  const js = jetstream(nc);
  const info = await jsm.streams.info(names.changeStream);
  const epoch = info.created;
  let position = info.state.last_seq;
  /** An ordered consumer from just after the last notice delivered. */
  const follow = async () =>
    (
      await js.consumers.get(names.changeStream, {
        filter_subjects: names.changeSubjects,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: position + 1,
      })
    ).consume();
  let messages: ConsumerMessages = await follow();
  let stopping = false;

  /**
   * Delivers one consumer's notices until it ends, and says whether to follow again. When NATS
   * restarts and forgets the consumer, nats.js 3.4 recreates it but keeps the lost pull's count
   * of messages owed: the new consumer pulls only those, then waits for two missed heartbeats
   * (30 s) before pulling again, and sockets would hear nothing meanwhile. A fresh consumer from
   * our own position continues at once, with nothing skipped or repeated.
   */
  const deliver = async (current: ConsumerMessages): Promise<boolean> => {
    let recreated = false;
    void (async () => {
      for await (const status of current.status()) {
        if (status.type !== 'ordered_consumer_recreated') continue;
        recreated = true;
        await current.close();
        return;
      }
    })();
    for await (const message of current) {
      position = message.seq;
      const change = toChange(message);
      if (change === undefined) logger.warn({ subject: message.subject }, 'ignoring an unreadable change notice');
      else onChange(change, epoch);
    }
    return recreated && !stopping;
  };
  /** A new consumer after a lost one; NATS may still be settling after its restart. */
  const followAgain = async (): Promise<ConsumerMessages> => {
    for (;;) {
      try {
        return await follow();
      } catch (error) {
        if (stopping) throw error;
        logger.warn({ err: error, position }, 'cannot follow the change stream yet; retrying');
        await sleep(RETRY_FOLLOW_MS);
      }
    }
  };
  const done = (async () => {
    while (await deliver(messages)) {
      logger.info({ position }, 'following the change stream again after NATS lost its consumer');
      messages = await followAgain();
      // stop() closed the consumer before this one.
      if (stopping) await messages.close();
    }
  })().then(
    () => {
      if (!stopping) logger.error('the change stream stopped delivering: sockets get no more changes');
    },
    (error: unknown) => logger.error({ err: error }, 'following the change stream failed'),
  );

  return {
    epoch,
    get position() {
      return position;
    },
    async replay(account, afterSeq, bound) {
      const state = (await jsm.streams.info(names.changeStream)).state;
      if (afterSeq >= state.last_seq) return { ok: true, changes: [] };
      // What came after the client's position has partly aged out of the window.
      if (afterSeq + 1 < state.first_seq) return { ok: false, reason: 'history_expired' };
      const reader = await jsm.consumers.add(names.changeStream, {
        filter_subject: names.accountChangeSubjects(account),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: afterSeq + 1,
        ack_policy: AckPolicy.None,
        mem_storage: true,
        inactive_threshold: 30_000_000_000,
      });
      try {
        const missed = reader.num_pending;
        if (missed > bound) return { ok: false, reason: 'gap_too_large' };
        const changes: Change[] = [];
        if (missed === 0) return { ok: true, changes };
        const batch = await (await js.consumers.get(names.changeStream, reader.name)).fetch({
          max_messages: missed,
          expires: REPLAY_TIMEOUT_MS,
        });
        // Complete only when every message pending at the start was read (later ones reach the
        // client live); a fetch that expired first would leave a gap the client could not see.
        let read = 0;
        let complete = false;
        for await (const message of batch) {
          read++;
          const change = toChange(message);
          if (change !== undefined) changes.push(change);
          if (read === missed || message.info.pending === 0) {
            complete = true;
            break;
          }
        }
        return complete ? { ok: true, changes } : { ok: false, reason: 'unavailable' };
      } finally {
        await jsm.consumers.delete(names.changeStream, reader.name).catch(() => undefined);
      }
    },
    async stop() {
      stopping = true;
      await messages.close();
      await done;
    },
  };
}
