import type { z } from 'zod';
import { ObservedRateLimitWindow, type RateLimitsReply } from '../http/rate-limits.ts';
import { type AccountId, StreamSeq } from '../ids.ts';

/**
 * A window as the projector stores it: its newest observation, and the sequence of the event it
 * came from, which decides between observations made at the same instant and makes a replayed
 * event recognise its own.
 */
export const StoredRateLimitWindow = ObservedRateLimitWindow.extend({ seq: StreamSeq });
export type StoredRateLimitWindow = z.infer<typeof StoredRateLimitWindow>;

/** The account's official figures from the hash the projector writes (window name to stored JSON), by name. */
export function rateLimitsFromHash(account: AccountId, hash: Readonly<Record<string, string>>): RateLimitsReply {
  const windows: RateLimitsReply['windows'] = {};
  for (const name of Object.keys(hash).sort()) {
    const { seq: _seq, ...observed } = StoredRateLimitWindow.parse(JSON.parse(hash[name] as string));
    windows[name] = observed;
  }
  return { account, windows };
}
