import { DeviceHeartbeat } from '@ccsync/contracts';
import { useTestNamespace, waitFor } from '@ccsync/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from '../app.ts';
import { startTestIngest } from '../test-ingest.ts';

const ns = useTestNamespace();
let ingest: Ingest;
let nc: NatsConnection;
const auth = { authorization: `Bearer ${ns.adminToken}` };

beforeAll(async () => {
  ingest = await startTestIngest(ns);
  nc = await connect({ servers: ns.natsUrl });
});
afterAll(async () => {
  await ingest?.close();
  await nc?.close();
});

describe('GET /v1/whoami', () => {
  it('describes the presented token', async () => {
    const response = await fetch(`${ingest.url}/v1/whoami`, { headers: auth });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ account: 'default', scope: 'admin' });
  });

  it('answers 401 without a valid token', async () => {
    expect((await fetch(`${ingest.url}/v1/whoami`)).status).toBe(401);
  });
});

describe('POST /v1/heartbeat', () => {
  it('publishes the heartbeat on the presence subject and answers 204, storing nothing', async () => {
    const received: unknown[] = [];
    nc.subscribe(ns.names.presenceSubject('default' as never), {
      callback: (_error, message) => {
        received.push(message.json());
      },
    });
    await nc.flush();
    const response = await fetch(`${ingest.url}/v1/heartbeat`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ device: 'laptop' }),
    });
    expect(response.status).toBe(204);
    const heartbeat = DeviceHeartbeat.parse(await waitFor(() => received[0]));
    expect(heartbeat).toMatchObject({ account: 'default', device: 'laptop' });
  });

  it('needs the device named when the token is not bound to one', async () => {
    const response = await fetch(`${ingest.url}/v1/heartbeat`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'CCSYNC_DEVICE_REQUIRED' });
  });
});
