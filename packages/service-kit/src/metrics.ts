import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Principal } from './auth.ts';
import { Errors } from './errors.ts';

export { Counter, Gauge, Histogram } from 'prom-client';

/**
 * One Prometheus registry per service: Node's default process metrics, HTTP requests by route and
 * status, and whatever the service adds. Served at `/metrics` to admins and to the metrics token.
 */
export function createMetrics(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'ccsync_' });
  return registry;
}

export function assertCanScrape(principal: Principal): void {
  if (principal.scope !== 'admin' && principal.scope !== 'metrics') throw new Errors.Forbidden('read metrics');
}

/** Request counts and durations by route pattern (never by raw URL, which may carry ids), and `/metrics`. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  const requests = new Histogram({
    name: 'ccsync_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    requests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { logLevel: 'warn' }, async (request, reply) => {
    if (request.principal === undefined) throw new Errors.Unauthorized();
    assertCanScrape(request.principal);
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
