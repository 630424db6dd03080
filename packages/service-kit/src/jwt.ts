import { createPublicKey } from 'node:crypto';
import { AccountId, DeviceId } from '@ccsync/contracts';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { z } from 'zod';
import type { Authenticator, Principal } from './auth.ts';
import type { TokenStore } from './token-store.ts';

/** How JWTs are checked; from `CCSYNC_JWT_*`. */
export interface JwtOptions {
  /** A shared secret for HS256. */
  readonly secret?: string;
  /** A PEM public key for RS256, ES256 or EdDSA. */
  readonly publicKey?: string;
  readonly issuer?: string;
  readonly audience: string;
}

/**
 * What a JWT must say: the account, a scope (never the operator's or the metrics token's), the
 * device for a device scope, and when it expires.
 */
const Claims = z
  .object({
    account: AccountId,
    scope: z.enum(['admin', 'viewer', 'device']),
    device: DeviceId.optional(),
    exp: z.number(),
  })
  .refine((claims) => (claims.scope === 'device') === (claims.device !== undefined), {
    message: 'a device token names its device, and only a device token does',
  });

const LOOKS_LIKE_JWT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** The algorithm a JWT's header names, or undefined when the token is not a JWT at all. */
function jwtAlgorithm(token: string): string | undefined {
  if (!LOOKS_LIKE_JWT.test(token)) return undefined;
  try {
    return decodeProtectedHeader(token).alg ?? '';
  } catch {
    return undefined;
  }
}
const ASYMMETRIC = ['RS256', 'ES256', 'EdDSA'];

/**
 * Accepts JWTs signed by the configured key, for the web and mobile clients of seed 004, and
 * hands every other token to `next`. A JWT that fails any check is refused, never passed on, and
 * one for an account that does not exist is refused too.
 */
export function jwtAuthenticator(options: JwtOptions, store: TokenStore, next: Authenticator): Authenticator {
  const secret = options.secret === undefined ? undefined : new TextEncoder().encode(options.secret);
  const publicKey = options.publicKey === undefined ? undefined : createPublicKey(options.publicKey);
  if (secret === undefined && publicKey === undefined) return next;
  return {
    async authenticate(token): Promise<Principal | undefined> {
      const alg = jwtAlgorithm(token);
      if (alg === undefined) return next.authenticate(token);
      try {
        // The header names the algorithm; it only chooses among the keys configured here.
        const symmetric = alg === 'HS256';
        const key = symmetric ? secret : ASYMMETRIC.includes(alg) ? publicKey : undefined;
        if (key === undefined) return undefined;
        const { payload } = await jwtVerify(token, key, {
          algorithms: symmetric ? ['HS256'] : ASYMMETRIC,
          audience: options.audience,
          ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
          requiredClaims: ['exp'],
        });
        const claims = Claims.safeParse(payload);
        if (!claims.success || !(await store.accountExists(claims.data.account))) return undefined;
        const { account, scope, device } = claims.data;
        return device === undefined ? { account, scope } : { account, scope, device };
      } catch {
        return undefined;
      }
    },
  };
}
