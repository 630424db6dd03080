import { z } from 'zod';
import { AccountId, DeviceId } from '../ids.ts';

/** What a token may do. Device tokens push as one device; viewers read; admins do everything in their account. */
export const TokenScope = z.enum(['admin', 'viewer', 'device']);
export type TokenScope = z.infer<typeof TokenScope>;

export const TokenId = z
  .string()
  .regex(/^[a-z0-9]{16}$/, '16 lowercase letters or digits')
  .brand<'TokenId'>();
export type TokenId = z.infer<typeof TokenId>;

/**
 * A token as stored in NATS KV: never the token itself, only its SHA-256. The token's text
 * carries its id (`ccs_<id>_<secret>`), so a lookup is one KV get, never a scan.
 */
export const StoredToken = z.object({
  id: TokenId,
  account: AccountId,
  scope: TokenScope,
  device: DeviceId.optional(),
  label: z.string().max(200).optional(),
  /** Hex SHA-256 of the whole token. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().optional(),
});
export type StoredToken = z.infer<typeof StoredToken>;

export const StoredAccount = z.object({
  id: AccountId,
  name: z.string().min(1).max(200),
  createdAt: z.iso.datetime(),
});
export type StoredAccount = z.infer<typeof StoredAccount>;

/** What the API shows of a token: everything but the hash. */
export const TokenInfo = StoredToken.omit({ hash: true });
export type TokenInfo = z.infer<typeof TokenInfo>;

/** A newly issued token: the only time its text is ever shown. */
export const IssuedToken = TokenInfo.extend({ token: z.string() });
export type IssuedToken = z.infer<typeof IssuedToken>;

/** `POST /v1/accounts` (bootstrap admin only). */
export const CreateAccountRequest = z.object({ id: AccountId, name: z.string().min(1).max(200).optional() });
export const CreateAccountReply = z.object({ account: StoredAccount, adminToken: IssuedToken });

/** `POST /v1/devices`: registers a device of the caller's account and issues its token. */
export const RegisterDeviceRequest = z.object({ device: DeviceId, label: z.string().max(200).optional() });
export const RegisterDeviceReply = z.object({ device: DeviceId, token: IssuedToken });

/**
 * `DELETE /v1/machines/:hostname` (Claudeforge's name for it): the device's usage leaves the
 * views, its tokens are revoked, and its history stays.
 */
export const RemoveMachineParams = z.object({ hostname: DeviceId });
export const RemoveMachineReply = z.object({
  device: DeviceId,
  /** The stream sequence of the DeviceRemoved event. */
  seq: z.number().int().positive(),
  revokedTokens: z.number().int().nonnegative(),
});
export type RemoveMachineReply = z.infer<typeof RemoveMachineReply>;

/** `POST /v1/tokens`: an account-wide token. Device tokens come from `POST /v1/devices`. */
export const IssueTokenRequest = z.object({
  scope: z.enum(['admin', 'viewer']),
  label: z.string().max(200).optional(),
});

export const TokenListReply = z.object({ tokens: z.array(TokenInfo) });
export const TokenIdParams = z.object({ tokenId: TokenId });
