import { z } from 'zod';

/*
 * Identifiers are branded so an account id can never be passed where a device id is expected.
 * Their alphabets are deliberately narrow: they appear in NATS subjects and Redis keys, where
 * `.`, `*`, `>`, `:` and whitespace carry meaning.
 */

export const Namespace = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lowercase letters, digits, "_" or "-", at most 32 characters')
  .brand<'Namespace'>();
export type Namespace = z.infer<typeof Namespace>;

export const AccountId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, "_" or "-", at most 64 characters')
  .brand<'AccountId'>();
export type AccountId = z.infer<typeof AccountId>;

/** A device id defaults to the machine's hostname, so dots are allowed; colons are not (Redis key separator). */
export const DeviceId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64 characters')
  .brand<'DeviceId'>();
export type DeviceId = z.infer<typeof DeviceId>;

/** A hostname made into a valid device id: other characters become "-". */
export function deviceIdFromHostname(name: string): DeviceId {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return DeviceId.parse(cleaned || 'device');
}

/** A JetStream stream sequence: the position of an event message in the history. */
export const StreamSeq = z.number().int().positive().brand<'StreamSeq'>();
export type StreamSeq = z.infer<typeof StreamSeq>;

export const EventId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,128}$/, 'letters, digits, "_" or "-", 8 to 128 characters')
  .brand<'EventId'>();
export type EventId = z.infer<typeof EventId>;

/** The account that the bootstrap admin token acts in until accounts are managed explicitly. */
export const DEFAULT_ACCOUNT = AccountId.parse('default');
