import { IssuedToken } from '@ccsync/contracts';
import { usageEntry, useTestNamespace } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from './app.ts';
import { startTestIngest } from './test-ingest.ts';

const ns = useTestNamespace();
const replicas: Ingest[] = [];

beforeAll(async () => {
  const limited = { INGEST_RATE_LIMIT_PER_MINUTE: '6' };
  replicas.push(await startTestIngest(ns, limited), await startTestIngest(ns, limited));
});
afterAll(() => Promise.all(replicas.map((replica) => replica.close())));

const push = (replica: Ingest, token: string) =>
  fetch(`${replica.url}/v1/usage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ device: 'laptop', entries: [usageEntry('limited')] }),
  });

describe('rate limits', () => {
  it('hold per token across replicas, answer 429 with Retry-After, and spare other tokens and probes', async () => {
    const [a, b] = replicas as [Ingest, Ingest];
    const other = IssuedToken.parse(
      await (
        await fetch(`${a.url}/v1/tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ scope: 'admin' }),
        })
      ).json(),
    ).token;

    // The token issue above was the first of six; five more fit, alternating replicas.
    const statuses = [];
    for (const replica of [a, b, a, b, a]) statuses.push((await push(replica, ns.adminToken)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);

    const refused = await push(b, ns.adminToken);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({
      statusCode: 429,
      code: 'CCSYNC_RATE_LIMITED',
      error: 'Too Many Requests',
    });

    expect((await push(a, other)).status).toBe(202);
    for (let probe = 0; probe < 10; probe++) expect((await fetch(`${b.url}/health`)).status).toBe(200);
  });
});
