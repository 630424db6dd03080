import { DEFAULT_ACCOUNT } from '@ccsync/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Authenticator } from './auth.ts';
import { createHttpServer, type HttpServer } from './http-server.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';

const token = 'a-token-long-enough-for-the-test-only';
const authenticator: Authenticator = {
  async authenticate(presented) {
    return presented === token ? { account: DEFAULT_ACCOUNT, scope: 'admin' } : undefined;
  },
};
let app: HttpServer;

beforeAll(async () => {
  app = await createHttpServer({
    service: 'probe',
    logger: createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
    authenticator,
    readiness: {},
    metrics: createMetrics('probe'),
  });
  app.get(
    '/things/:id',
    { schema: { params: z.object({ id: z.string().min(3) }), response: { 200: z.object({ id: z.string() }) } } },
    async (request) => ({ id: request.params.id }),
  );
  await app.ready();
});
afterAll(() => app.close());

describe('createHttpServer', () => {
  it('documents the routes a service declares after it, as needing a token', async () => {
    const response = await app.inject({ url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.info.title).toBe('ccsync probe');
    expect(document.paths['/things/{id}'].get).toMatchObject({
      parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string', minLength: 3 } }],
    });
    expect(document.paths['/things/{id}'].get.security).toBeUndefined();
    expect(document.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
  });

  it('keeps the documentation public and everything else behind the token', async () => {
    expect((await app.inject({ url: '/docs' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/things/abc' })).statusCode).toBe(401);
    const allowed = await app.inject({ url: '/things/abc', headers: { authorization: `Bearer ${token}` } });
    expect(allowed.json()).toEqual({ id: 'abc' });
  });

  it('sends no CORS header at all when no origin is allowed', async () => {
    const origin = 'https://dash.example';
    const replies = await Promise.all([
      app.inject({ url: '/health', headers: { origin } }),
      app.inject({
        method: 'OPTIONS',
        url: '/things/abc',
        headers: { origin, 'access-control-request-method': 'GET' },
      }),
    ]);
    expect(replies.map((reply) => reply.statusCode)).toEqual([200, 401]);
    for (const reply of replies) {
      expect(Object.keys(reply.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});
