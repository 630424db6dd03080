import { usageEntry, useTestNamespace } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from './app.ts';
import { startTestIngest } from './test-ingest.ts';

const ns = useTestNamespace();
const metricsToken = `metrics-${'m'.repeat(40)}`;
let ingest: Ingest;

beforeAll(async () => {
  ingest = await startTestIngest(ns, { CCSYNC_METRICS_TOKEN: metricsToken });
});
afterAll(() => ingest?.close());

/** The value of the sample with this name whose labels include these, whatever their order. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

const scrape = (token?: string) =>
  fetch(`${ingest.url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

describe('GET /metrics', () => {
  it('counts accepted records, duplicates, publish latency, requests and the NATS connection', async () => {
    const body = JSON.stringify({ device: 'laptop', entries: [usageEntry('m1'), usageEntry('m2'), usageEntry('m3')] });
    const push = () =>
      fetch(`${ingest.url}/v1/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
        body,
      });
    expect((await push()).status).toBe(202);
    expect((await push()).status).toBe(202);

    const response = await scrape(metricsToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const service = { service: 'ingest' };
    expect(sample(text, 'ccsync_ingest_records_accepted_total', { ...service, source: 'transcript' })).toBe(3);
    expect(sample(text, 'ccsync_ingest_duplicate_batches_total', service)).toBe(1);
    expect(sample(text, 'ccsync_ingest_publish_duration_seconds_count', service)).toBe(2);
    const requests = { ...service, method: 'POST', route: '/v1/usage', status: '202' };
    expect(sample(text, 'ccsync_http_request_duration_seconds_count', requests)).toBe(2);
    expect(sample(text, 'ccsync_nats_connected', service)).toBe(1);
  });

  it('is for admins and the metrics token only', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape(ns.adminToken)).status).toBe(200);
    const whoami = await fetch(`${ingest.url}/v1/whoami`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(await whoami.json()).toEqual({ account: 'default', scope: 'metrics' });
    const pushWithMetricsToken = await fetch(`${ingest.url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${metricsToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device: 'laptop', entries: [usageEntry('m4')] }),
    });
    expect(pushWithMetricsToken.status).toBe(403);
  });
});
