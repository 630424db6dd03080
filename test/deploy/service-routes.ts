/**
 * The HTTP routes a service registers, read from its route modules (`routes.ts`, `*-routes.ts`,
 * where the services keep every route) without starting it: starting one needs NATS and Redis.
 * Both forms the services use are read: `app.get('/path', …)` and `app.route({ method, url })`.
 */
import { readdirSync } from 'node:fs';
import { readRepoFile, repoPath } from './repository.ts';
import type { ServiceName } from './service-env.ts';

export interface Route {
  readonly method: string;
  /** As registered, parameters written `:name` (template literals' `${name}` too). */
  readonly path: string;
}

const SHORTHAND = /\.(get|post|put|patch|delete)\(\s*(['`])(\/[^'`]*)\2/g;
const FULL = /\.route\(\s*\{\s*method:\s*'(\w+)',\s*url:\s*'([^']+)'/g;

export function registeredRoutes(service: ServiceName): Route[] {
  const src = `services/${service}/src`;
  const files = readdirSync(repoPath(src), { recursive: true, encoding: 'utf8' }).filter((file) =>
    /(^|[/-])routes\.ts$/.test(file),
  );
  return files.flatMap((file) => {
    const text = readRepoFile(src, file);
    const shorthand = [...text.matchAll(SHORTHAND)].map(([, method = '', , path = '']) => ({ method, path }));
    const full = [...text.matchAll(FULL)].map(([, method = '', path = '']) => ({ method, path }));
    return [...shorthand, ...full].map(({ method, path }) => ({
      method: method.toUpperCase(),
      path: path.replace(/\$\{(\w+)\}/g, ':$1'),
    }));
  });
}

/** A concrete path for the route: every `:parameter` replaced by a sample value. */
export function samplePath(route: Route): string {
  return route.path.replace(/:\w+/g, 'sample');
}

export const describeRoute = (route: Route): string => `${route.method} ${route.path}`;
