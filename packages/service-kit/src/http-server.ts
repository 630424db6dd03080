import { STATUS_CODES } from 'node:http';
import { HealthReply, ReadyReply } from '@ccsync/contracts';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyError } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { type Authenticator, hashToken, registerBearerAuth } from './auth.ts';
import { registerCors } from './cors.ts';
import type { Logger } from './logger.ts';
import { registerMetricsRoute } from './metrics.ts';
import { registerOpenApi } from './openapi.ts';
import type { Redis } from './redis.ts';
import { registerSecurityHeaders } from './security-headers.ts';

export type HttpServer = Awaited<ReturnType<typeof createHttpServer>>;

/** A named check that `/ready` runs; false or a throw means not ready. */
export type ReadinessCheck = () => Promise<boolean>;

export interface HttpServerOptions {
  readonly service: string;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** The service's Prometheus registry, served at `/metrics`. */
  readonly metrics: Registry;
  /** Bodies larger than this get 413. */
  readonly bodyLimit?: number;
  /** Requests per minute per token (per address without one), counted in Redis across replicas. */
  readonly rateLimit?: { readonly redis: Redis; readonly keyPrefix: string; readonly perMinute: number };
  /**
   * Origins (`https://dash.example`) whose pages may call the API from a browser. Empty or absent:
   * no CORS headers at all, so only same-origin pages can.
   */
  readonly corsOrigins?: readonly string[];
}

/** The running release, as `/health` and the API document report it. */
export const SERVICE_VERSION = process.env.npm_package_version ?? '0.1.0';

/**
 * The HTTP server every service starts from: zod validation and serialisation, one error shape,
 * security headers, CORS for the allowed origins, bearer auth on everything but `/health`,
 * `/ready` and `/docs`, the two probes, and an OpenAPI document of every route at `/docs/json`.
 */
export async function createHttpServer(options: HttpServerOptions) {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Route parameters are bounded by their schemas (a metric key is up to 128 characters), which
    // answer 400 naming the rule; the router's default of 100 would answer 414 before them.
    routerOptions: { maxParamLength: 256 },
    requestIdHeader: 'x-request-id',
    // During a graceful shutdown new requests get 503 and idle keep-alive sockets are closed.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();
  // Every API speaks JSON: anything else is refused with 415 before it reaches a route.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.status(400).send({
        statusCode: 400,
        code: 'CCSYNC_VALIDATION',
        error: 'Bad Request',
        message: error.message,
      });
    }
    const statusCode = error.statusCode ?? 500;
    // Unexpected failures are logged in full and described to the client in general terms only.
    const unexpected = statusCode >= 500 && error.code === undefined;
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
    // A 503 is always temporary here: tell the client when to try again.
    if (statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
    return reply.status(statusCode).send({
      statusCode,
      code: unexpected ? 'CCSYNC_INTERNAL' : (error.code ?? 'CCSYNC_ERROR'),
      error: STATUS_CODES[statusCode] ?? 'Error',
      message: unexpected ? 'Internal error' : error.message,
    });
  });

  // Each awaited, so their hooks run, in this order, before those of everything declared after.
  await registerSecurityHeaders(app);
  await registerCors(app, options.corsOrigins ?? []);
  await registerOpenApi(app, { service: options.service, version: SERVICE_VERSION });

  if (options.rateLimit !== undefined) {
    const { redis, keyPrefix, perMinute } = options.rateLimit;
    // Awaited, so its hook is on every route declared after it.
    await app.register(rateLimit, {
      global: true,
      max: perMinute,
      timeWindow: 60_000,
      redis,
      nameSpace: keyPrefix,
      // Without Redis the limit cannot be counted; refusing everything would be worse.
      skipOnError: true,
      allowList: (request) => request.routeOptions.config.public === true,
      // Per token: the hash of the presented one, since this runs before authentication.
      keyGenerator: (request) => {
        const header = request.headers.authorization;
        return header === undefined ? `ip:${request.ip}` : `token:${hashToken(header).toString('base64url')}`;
      },
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        code: 'CCSYNC_RATE_LIMITED',
        error: 'Too Many Requests',
        message: `More than ${context.max} requests a minute; retry in ${context.after}`,
      }),
    });
  }
  registerBearerAuth(app, options.authenticator);
  registerMetricsRoute(app, options.metrics);

  // A refused WebSocket upgrade must close its connection: Node has detached it from the HTTP
  // server, so it could carry no further request, and a graceful close would wait for it forever.
  // (Accepted upgrades are hijacked by the WebSocket plugin and never reach these hooks.)
  app.addHook('onSend', async (request, reply) => {
    if (request.raw.headers.upgrade !== undefined) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request) => {
    if (request.raw.headers.upgrade !== undefined) request.raw.socket.end();
  });

  const startedAt = Date.now();
  app.get('/health', { config: { public: true }, schema: { response: { 200: HealthReply } } }, async () => ({
    status: 'ok' as const,
    service: options.service,
    version: SERVICE_VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  }));

  app.get(
    '/ready',
    { config: { public: true }, logLevel: 'warn', schema: { response: { 200: ReadyReply, 503: ReadyReply } } },
    async (_request, reply) => {
      const entries = await Promise.all(
        Object.entries(options.readiness).map(async ([name, check]) => {
          const up = await check().catch(() => false);
          return [name, up ? 'up' : 'down'] as const;
        }),
      );
      const ready = entries.every(([, state]) => state === 'up');
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(entries) });
    },
  );

  return app;
}
