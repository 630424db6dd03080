import { z } from 'zod';
import { TokenId } from '../auth/tokens.ts';

/** DeviceRegistered v1: a device joined its account (the envelope names both) and got a token. */
export const DeviceRegisteredV1 = z.object({
  label: z.string().max(200).optional(),
  tokenId: TokenId,
});
export type DeviceRegisteredV1 = z.infer<typeof DeviceRegisteredV1>;
