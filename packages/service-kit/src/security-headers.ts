import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Policies are spelled out in full (no Helmet defaults): the defaults are meant for pages and
 * carry `upgrade-insecure-requests`, which breaks a page served over plain http at home.
 */
type ContentSecurityPolicy = { useDefaults: false; directives: Record<string, string[]> };

/** The APIs answer JSON, which a browser should never run, style or frame. */
const apiPolicy: ContentSecurityPolicy = {
  useDefaults: false,
  directives: {
    'default-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  },
};

/**
 * What swagger-ui needs, all from this server: its scripts and styles are files under
 * `/docs/static/`, its icons are data URIs, it sets inline styles, and "Try it out" calls the API
 * on the same origin. Nothing may be fetched from anywhere else.
 */
const docsPolicy: ContentSecurityPolicy = {
  useDefaults: false,
  directives: {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'", 'data:'],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'", "'unsafe-inline'"],
  },
};

/** Route config (`config.helmet`) that gives a documentation route the policy swagger-ui needs. */
export const docsHelmetConfig = { contentSecurityPolicy: docsPolicy };

/**
 * The web dashboard: its script, styles and icon are files from this server, and it talks only to
 * this server, over fetch and its WebSocket ('self' covers ws: and wss: on the same host). It
 * builds its DOM without HTML strings, so Trusted Types can forbid every string-to-markup sink,
 * and nothing is inline: no inline script, style element or style attribute runs.
 */
const dashboardPolicy: ContentSecurityPolicy = {
  useDefaults: false,
  directives: {
    'default-src': ["'none'"],
    'base-uri': ["'none'"],
    'connect-src': ["'self'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
    'img-src': ["'self'"],
    'manifest-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'style-src-attr': ["'none'"],
    'require-trusted-types-for': ["'script'"],
    'trusted-types': ["'none'"],
  },
};

/** Route config (`config.helmet`) for the dashboard's page and assets. */
export const dashboardHelmetConfig = { contentSecurityPolicy: dashboardPolicy };

/**
 * Helmet's headers on every response, errors included, as it is registered first.
 *
 * HSTS stays off. Over plain http, as at home, browsers ignore it; behind a TLS-terminating proxy
 * it is the proxy's to send, since only it knows whether every host under the domain has https
 * (Helmet's default covers subdomains for a year, and would lock out any that has not).
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: apiPolicy,
    // What frame-ancestors says, for browsers that only read the older header.
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
  });
}
