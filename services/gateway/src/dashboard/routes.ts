import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { dashboardHelmetConfig, type HttpServer } from '@ccsync/service-kit';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Everything the dashboard serves holds no data, so it needs no token; the data comes from the
 * API, with the token the page holds. It gets the page's own security policy.
 */
const dashboardConfig = { public: true, helmet: dashboardHelmetConfig } as const;

const NOT_BUILT =
  'The dashboard has not been built. Run `npm run build` in the ccsync repository (npm start and npm test ' +
  'build it too), then reload this page.\n';

/** What `GET /` answers to a plain request (an upgrade there opens the WebSocket instead), and its route config. */
export interface DashboardPage {
  readonly config: { readonly helmet: typeof dashboardHelmetConfig };
  handler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

/**
 * Where `npm run build` writes the dashboard (packages/dashboard/dist), found through its package.
 * The package is resolved through the workspace rather than declared as a dependency: the
 * dashboard's end-to-end test depends on the gateway, and turbo refuses a dependency cycle.
 */
export function dashboardDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@ccsync/dashboard/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * Serves the built dashboard's files under `/assets/`, named by their content's hash and so cached
 * for a year, and returns the handler of its page, which is never cached so that a new build is
 * seen at once. Until the dashboard is built the page answers 503 saying how to build it; files
 * are looked up at each request, so a build made while the gateway runs is served.
 */
export async function registerDashboardRoutes(app: HttpServer, dir = dashboardDir()): Promise<DashboardPage> {
  if (dir === undefined || !existsSync(join(dir, 'index.html'))) {
    app.log.warn('the dashboard is not built: GET / answers 503 until `npm run build` has run');
  }
  if (dir !== undefined) {
    const root = join(dir, 'assets');
    // In a context of its own, so that only the dashboard's files are made public.
    await app.register(async (assets) => {
      assets.addHook('onRoute', (route) => {
        route.config = Object.assign({}, route.config, dashboardConfig);
      });
      await assets.register(fastifyStatic, {
        root,
        prefix: '/assets/',
        immutable: true,
        maxAge: '365d',
        index: false,
        decorateReply: false,
        suppressWarning: true,
        logLevel: 'warn',
      });
    });
  }

  return {
    // Not public: the WebSocket on the same route authenticates from the upgrade when it carries a
    // token. A plain GET carries none, which `authInSocket` lets through.
    config: { helmet: dashboardHelmetConfig },
    async handler(_request, reply) {
      const html = dir === undefined ? undefined : await readFile(join(dir, 'index.html')).catch(() => undefined);
      if (html === undefined) {
        return reply.status(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(NOT_BUILT);
      }
      return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
    },
  };
}
