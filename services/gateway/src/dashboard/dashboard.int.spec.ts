import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpServer, createLogger, createMetrics } from '@ccsync/service-kit';
import { openTestSocket, upgradeStatus, useTestNamespace } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../test-stack.ts';
import { dashboardDir, registerDashboardRoutes } from './routes.ts';

/*
 * The gateway serves the built dashboard at `/` to plain requests, without a token and with the
 * page's own policy, while upgrades of `/` still open the WebSocket. The page itself is tested in
 * a browser in packages/dashboard.
 */
const ns = useTestNamespace();
const DASHBOARD_POLICY =
  "default-src 'none';base-uri 'none';connect-src 'self';form-action 'none';frame-ancestors 'none';" +
  "img-src 'self';manifest-src 'self';script-src 'self';script-src-attr 'none';style-src 'self';" +
  "style-src-attr 'none';require-trusted-types-for 'script';trusted-types 'none'";
let stack: TestStack;

beforeAll(async () => {
  const dir = dashboardDir();
  if (dir === undefined || !existsSync(join(dir, 'index.html'))) {
    throw new Error('The dashboard is not built: run `npm run build` first (npm test does)');
  }
  stack = await startTestStack(ns, { GATEWAY_RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(() => stack?.close());

/** The files the page loads, in the order the HTML names them. */
const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((match) => match[1] ?? '');

describe('GET / without an upgrade', () => {
  it('answers the page without a token, never cached, with a policy that allows nothing inline', async () => {
    const response = await fetch(`${stack.gateway.url}/`);
    expect(response.status).toBe(200);
    expect({
      type: response.headers.get('content-type'),
      cache: response.headers.get('cache-control'),
      csp: response.headers.get('content-security-policy'),
      frame: response.headers.get('x-frame-options'),
      nosniff: response.headers.get('x-content-type-options'),
    }).toEqual({
      type: 'text/html; charset=utf-8',
      cache: 'no-cache',
      csp: DASHBOARD_POLICY,
      frame: 'DENY',
      nosniff: 'nosniff',
    });
    const html = await response.text();
    expect(html).toContain('<title>ccsync</title>');
    // Every script is a file; no inline script, handler or style attribute would run under the policy.
    expect(html.match(/<script\b[^>]*>/g)).toEqual([expect.stringMatching(/ src="\/assets\/[^"]+\.js"/)]);
    expect(html).not.toMatch(/\son[a-z]+=|\sstyle=|<style/i);
  });

  it('serves every file the page loads under /assets/, without a token, cached for a year', async () => {
    const html = await (await fetch(`${stack.gateway.url}/`)).text();
    const assets = assetsOf(html);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/assets\/[\w-]+\.(js|css|svg)$/);
      const response = await fetch(`${stack.gateway.url}${asset}`);
      const body = await response.arrayBuffer();
      expect({ asset, status: response.status, cache: response.headers.get('cache-control') }).toEqual({
        asset,
        status: 200,
        cache: 'public, max-age=31536000, immutable',
      });
      expect(response.headers.get('content-security-policy')).toBe(DASHBOARD_POLICY);
      expect(body.byteLength).toBeGreaterThan(0);
    }
    const types = await Promise.all(
      assets.map(async (asset) => {
        const response = await fetch(`${stack.gateway.url}${asset}`);
        await response.arrayBuffer();
        return response.headers.get('content-type')?.split(';')[0];
      }),
    );
    expect(new Set(types)).toEqual(new Set(['application/javascript', 'text/css', 'image/svg+xml']));
  });

  it('answers 404 for files that are not there, and never serves what is outside the assets', async () => {
    const statuses = await Promise.all(
      ['/assets/missing.js', '/assets/..%2Findex.html', '/assets/%2e%2e%2Findex.html', '/assets/'].map(async (path) => {
        const response = await fetch(`${stack.gateway.url}${path}`);
        await response.arrayBuffer();
        return [path, response.status];
      }),
    );
    expect(statuses).toEqual([
      ['/assets/missing.js', 404],
      ['/assets/..%2Findex.html', 404],
      ['/assets/%2e%2e%2Findex.html', 404],
      ['/assets/', 403],
    ]);
  });

  it('keeps the data behind a token', async () => {
    const response = await fetch(`${stack.gateway.url}/api/blocks/active`);
    expect(response.status).toBe(401);
  });
});

describe('GET / with an upgrade', () => {
  const root = () => `${stack.gateway.url.replace(/^http/, 'ws')}/`;

  it('still opens the WebSocket, with the token in a first message or in the upgrade', async () => {
    const byMessage = await openTestSocket(root());
    byMessage.send({ type: 'auth', token: ns.adminToken });
    expect(await byMessage.next((message) => message.type === 'authenticated')).toMatchObject({
      account: 'default',
      scope: 'admin',
    });
    await byMessage.close();

    const byHeader = await openTestSocket(root(), { authorization: `Bearer ${ns.adminToken}` });
    expect(await byHeader.next((message) => message.type === 'authenticated')).toMatchObject({ scope: 'admin' });
    byHeader.send({ type: 'subscribe', channels: ['usage'] });
    expect(await byHeader.next((message) => message.type === 'subscribed')).toMatchObject({ channels: ['usage'] });
    await byHeader.close();
  });

  it('still refuses a wrong token in the upgrade with 401', async () => {
    expect(await upgradeStatus(`${stack.gateway.url}/?token=wrong`)).toBe(401);
    expect(await upgradeStatus(`${stack.gateway.url}/`, { authorization: 'Bearer wrong' })).toBe(401);
  });
});

describe('a gateway whose dashboard is not built', () => {
  it('answers GET / with 503 and how to build it', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'ccsync-dashboard-'));
    const app = await createHttpServer({
      service: 'gateway',
      logger: createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
      authenticator: { authenticate: async () => undefined },
      readiness: {},
      metrics: createMetrics('gateway'),
    });
    try {
      const page = await registerDashboardRoutes(app, empty);
      app.get('/', { config: { ...page.config, public: true } }, page.handler);
      const response = await app.inject({ method: 'GET', url: '/' });
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toContain('Run `npm run build`');
      expect((await app.inject({ method: 'GET', url: '/assets/index.js' })).statusCode).toBe(404);
    } finally {
      await app.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
