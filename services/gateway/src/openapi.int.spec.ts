import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { useTestNamespace } from '@ccsync/testkit';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './app.ts';
import { GatewayEnv } from './config.ts';

const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const auth = { authorization: `Bearer ${ns.adminToken}` };
const dashboard = 'https://dash.example';
let gateway: Gateway;

/** Every HTTP operation the gateway declares, as `GET /api/usage/{deviceId}`. */
const declared = new Set<string>();

interface DeclaredRoute {
  readonly method: string | string[];
  readonly url: string;
  readonly websocket?: boolean;
}

/**
 * Fastify announces each new instance on this diagnostics channel before any route is declared,
 * so a hook added here sees every route of the gateway, in whatever plugin it is declared.
 */
function collectRoutes(message: unknown): void {
  const { fastify } = message as {
    fastify: { addHook(name: 'onRoute', hook: (route: DeclaredRoute) => void): unknown };
  };
  fastify.addHook('onRoute', (route) => {
    // HEAD and OPTIONS are Fastify's and CORS's own; WebSocket upgrades are no HTTP operation
    // OpenAPI could describe; the documentation does not document itself; the dashboard's page
    // (a plain GET of the socket's `/`) and files are no API.
    if (route.websocket === true || route.url.startsWith('/docs')) return;
    if (route.url === '/' || route.url.startsWith('/assets/')) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      declared.add(`${method} ${route.url.replaceAll(/:(\w+)/g, '{$1}')}`);
    }
  });
}

beforeAll(async () => {
  subscribe('fastify.initialization', collectRoutes);
  try {
    gateway = await startGateway(
      parseEnv(GatewayEnv, ns.env({ GATEWAY_PORT: '0', GATEWAY_CORS_ORIGINS: dashboard })),
      logger,
    );
  } finally {
    unsubscribe('fastify.initialization', collectRoutes);
  }
});
afterAll(async () => {
  await gateway?.close();
});

// A type, not an interface, so that it may be passed where any JSON object is expected.
type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string };
  security: unknown;
  components: { securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, { security?: unknown; parameters?: unknown[] }>>;
};

async function fetchDocument(): Promise<OpenApiDocument> {
  const response = await fetch(`${gateway.url}/docs/json`);
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDocument;
}

describe('the OpenAPI document', () => {
  it('is served without a token and is valid OpenAPI 3.1', async () => {
    const document = await fetchDocument();
    const validator = new Validator();
    expect(await validator.validate(document)).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');

    const health = (await (await fetch(`${gateway.url}/health`)).json()) as { version: string };
    expect(document.info).toEqual({ title: 'ccsync gateway', version: health.version });
  });

  it('lists every HTTP route the gateway declared, and nothing else', async () => {
    const document = await fetchDocument();
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(declared).toContain('GET /api/usage/{deviceId}');
    expect(declared).toContain('DELETE /api/metrics/{key}');
    expect(documented.sort()).toEqual([...declared].sort());
  });

  it('describes parameters from the zod schemas that validate them', async () => {
    const { paths } = await fetchDocument();
    expect(paths['/api/usage/{deviceId}']?.get?.parameters).toEqual([
      expect.objectContaining({ in: 'path', name: 'deviceId', required: true }),
    ]);
  });

  it('requires a token everywhere but on the public probes', async () => {
    const { security, components, paths } = await fetchDocument();
    expect(security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', description: 'An admin, viewer, device or metrics token' },
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'The same token in the header Claudeforge clients send',
      },
    });
    const exempt = Object.entries(paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.security !== undefined)
        .map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation.security]),
    );
    expect(exempt).toEqual([
      ['GET /health', []],
      ['GET /ready', []],
    ]);
  });
});

describe('the documentation UI', () => {
  it('is served at /docs without a token, with its assets from this server only', async () => {
    const response = await fetch(`${gateway.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<title>ccsync gateway</title>');
    expect(html).toContain('<div id="swagger-ui"></div>');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(assets).toEqual([
      '/docs/static/swagger-ui.css',
      '/docs/static/index.css',
      '/docs/static/favicon-32x32.png',
      '/docs/static/favicon-16x16.png',
      '/docs/static/swagger-ui-bundle.js',
      '/docs/static/swagger-ui-standalone-preset.js',
      '/docs/static/swagger-initializer.js',
    ]);
    const statuses = await Promise.all(
      assets.map(async (asset) => {
        const reply = await fetch(`${gateway.url}${asset}`);
        await reply.arrayBuffer();
        return reply.status;
      }),
    );
    expect(statuses).toEqual(assets.map(() => 200));
  });

  it('does not ask swagger-ui to validate the document online', async () => {
    const script = await (await fetch(`${gateway.url}/docs/static/swagger-initializer.js`)).text();
    expect(script).toContain('validatorUrl: null,');
  });

  it('gets a policy that lets it load from this server and nowhere else', async () => {
    const response = await fetch(`${gateway.url}/docs`);
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'self';base-uri 'self';connect-src 'self';font-src 'self' data:;form-action 'self';" +
        "frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';" +
        "style-src 'self' 'unsafe-inline'",
    );
  });
});

describe('security headers', () => {
  it('are sent on API responses, with a policy that lets a browser run nothing', async () => {
    const response = await fetch(`${gateway.url}/api/usage`, { headers: auth });
    expect(response.status).toBe(200);
    expect({
      csp: response.headers.get('content-security-policy'),
      nosniff: response.headers.get('x-content-type-options'),
      frame: response.headers.get('x-frame-options'),
      referrer: response.headers.get('referrer-policy'),
      hsts: response.headers.get('strict-transport-security'),
    }).toEqual({
      csp: "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      nosniff: 'nosniff',
      frame: 'DENY',
      referrer: 'no-referrer',
      hsts: null,
    });
  });

  it('are sent on refusals too', async () => {
    const response = await fetch(`${gateway.url}/api/usage`);
    expect(response.status).toBe(401);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(`${gateway.url}/api/usage`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });

  it('answers a preflight from an allowed origin before authentication', async () => {
    const response = await preflight(dashboard);
    expect(response.status).toBe(204);
    expect({
      origin: response.headers.get('access-control-allow-origin'),
      methods: response.headers.get('access-control-allow-methods'),
      headers: response.headers.get('access-control-allow-headers'),
      maxAge: response.headers.get('access-control-max-age'),
    }).toEqual({
      origin: dashboard,
      methods: 'GET, HEAD, POST, PUT, PATCH, DELETE',
      headers: 'authorization',
      maxAge: '600',
    });
  });

  it('lets the allowed origin read replies, refusals included', async () => {
    const ok = await fetch(`${gateway.url}/api/usage`, { headers: { origin: dashboard, ...auth } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(dashboard);
    expect(ok.headers.get('vary')).toBe('Origin');
    const refused = await fetch(`${gateway.url}/api/usage`, { headers: { origin: dashboard } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(dashboard);
  });

  it('allows no other origin', async () => {
    const evil = 'https://evil.example';
    const answered = await preflight(evil);
    expect(answered.status).toBe(204);
    expect(answered.headers.get('access-control-allow-origin')).toBeNull();
    const read = await fetch(`${gateway.url}/api/usage`, { headers: { origin: evil, ...auth } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});
