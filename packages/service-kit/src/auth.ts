import { createHash, timingSafeEqual } from 'node:crypto';
import { type AccountId, DEFAULT_ACCOUNT, type DeviceId } from '@ccsync/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BaseEnv } from './config.ts';
import { Errors } from './errors.ts';
import { jwtAuthenticator } from './jwt.ts';
import type { TokenStore } from './token-store.ts';

/**
 * What a token may do. Device tokens push as one device; viewers read; admins do everything; the
 * metrics token only reads `/metrics`.
 */
export type Scope = 'admin' | 'viewer' | 'device' | 'metrics';

export interface Principal {
  readonly account: AccountId;
  readonly scope: Scope;
  /** Set for device tokens: the only device they may push as. */
  readonly device?: DeviceId;
  /** The bootstrap admin token: the one that may create accounts. */
  readonly bootstrap?: boolean;
}

/** Resolves a presented bearer token to who holds it, or undefined for an unknown token. */
export interface Authenticator {
  authenticate(token: string): Promise<Principal | undefined>;
}

/** Tokens are only ever compared and stored as hashes. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Accepts the tokens configured in the environment: the bootstrap admin token and, when set, the
 * metrics token that Prometheus scrapes with.
 */
export function adminTokenAuthenticator(adminToken: string, account: AccountId, metricsToken?: string): Authenticator {
  const expected = hashToken(adminToken);
  const metrics = metricsToken === undefined ? undefined : hashToken(metricsToken);
  return {
    async authenticate(token) {
      const presented = hashToken(token);
      if (timingSafeEqual(presented, expected)) return { account, scope: 'admin', bootstrap: true };
      if (metrics !== undefined && timingSafeEqual(presented, metrics)) return { account, scope: 'metrics' };
      return undefined;
    },
  };
}

/** The bootstrap admin token, then the tokens issued through the API. */
export function tokenStoreAuthenticator(store: TokenStore, bootstrap: Authenticator): Authenticator {
  return {
    async authenticate(token) {
      const admin = await bootstrap.authenticate(token);
      if (admin !== undefined) return admin;
      const stored = await store.verify(token);
      if (stored === undefined) return undefined;
      return stored.device === undefined
        ? { account: stored.account, scope: stored.scope }
        : { account: stored.account, scope: stored.scope, device: stored.device };
    },
  };
}

/**
 * Every kind of token an account-facing service accepts: JWTs when a key is configured, the
 * tokens from the environment, then the ones issued through the API.
 */
export function accountAuthenticator(env: BaseEnv, store: TokenStore, adminToken: string): Authenticator {
  const issued = tokenStoreAuthenticator(
    store,
    adminTokenAuthenticator(adminToken, DEFAULT_ACCOUNT, env.CCSYNC_METRICS_TOKEN),
  );
  return jwtAuthenticator(
    {
      ...(env.CCSYNC_JWT_SECRET === undefined ? {} : { secret: env.CCSYNC_JWT_SECRET }),
      ...(env.CCSYNC_JWT_PUBLIC_KEY === undefined ? {} : { publicKey: env.CCSYNC_JWT_PUBLIC_KEY }),
      ...(env.CCSYNC_JWT_ISSUER === undefined ? {} : { issuer: env.CCSYNC_JWT_ISSUER }),
      audience: env.CCSYNC_JWT_AUDIENCE,
    },
    store,
    issued,
  );
}

/** Managing tokens, devices and configuration: admins only. */
export function assertAdmin(principal: Principal): void {
  if (principal.scope !== 'admin') throw new Errors.Forbidden('manage the account');
}

/** What spans every account (creating accounts, rebuilding the views): the server's own admin token only. */
export function assertOperator(principal: Principal, action: string): void {
  if (principal.bootstrap !== true) throw new Errors.Forbidden(action);
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** Anonymous routes: health checks only. */
    public?: boolean;
    /** Accept `?token=` where a client cannot set headers (browser WebSockets). */
    allowQueryToken?: boolean;
    /**
     * A WebSocket that may present its token in its first message instead: without a token the
     * upgrade goes through unauthenticated, and the socket handler must authenticate.
     */
    authInSocket?: boolean;
  }
}

/**
 * The token a request presents: `Authorization: Bearer`, or `X-API-Key` as Claudeforge's clients
 * send it (seed 002), or `?token=` where the route allows it.
 */
function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string') return apiKey.length > 0 ? apiKey : undefined;
  if (request.routeOptions.config.allowQueryToken === true) {
    const query = request.query as Record<string, unknown> | undefined;
    const token = query?.token;
    return typeof token === 'string' && token.length > 0 ? token : undefined;
  }
  return undefined;
}

/**
 * Authenticates every route that is not marked public. Registered on the root instance so no
 * route can forget it.
 */
export function registerBearerAuth(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true) return;
    const token = presentedToken(request);
    if (token === undefined && request.routeOptions.config.authInSocket === true) return;
    const principal = token === undefined ? undefined : await authenticator.authenticate(token);
    if (principal === undefined) throw new Errors.Unauthorized();
    request.principal = principal;
  });
}

/** The authenticated caller of a non-public route. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new Errors.Unauthorized();
  return request.principal;
}

/** Reading an account's views: admins and viewers. Device tokens only push. */
export function assertCanRead(principal: Principal): void {
  if (principal.scope !== 'admin' && principal.scope !== 'viewer') throw new Errors.Forbidden('read usage');
}

/** Setting and deleting live metrics: admins, and devices reporting their own (never viewers). */
export function assertCanWriteMetrics(principal: Principal): void {
  if (principal.scope !== 'admin' && principal.scope !== 'device') throw new Errors.Forbidden('set live metrics');
}

/**
 * The device a push is recorded for. A device token pushes only as itself; an account-wide token
 * must name the device.
 */
export function deviceForPush(principal: Principal, requested: DeviceId | undefined): DeviceId {
  if (principal.scope === 'viewer' || principal.scope === 'metrics') throw new Errors.Forbidden('push usage');
  if (principal.scope === 'device') {
    if (requested !== undefined && requested !== principal.device) {
      throw new Errors.Forbidden(`push usage as device "${requested}"`);
    }
    if (principal.device === undefined) throw new Errors.DeviceRequired();
    return principal.device;
  }
  if (requested === undefined) throw new Errors.DeviceRequired();
  return requested;
}
