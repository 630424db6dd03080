import { CreateAccountReply, decodeEvent, IssuedToken, RegisterDeviceReply, TokenListReply } from '@ccsync/contracts';
import { usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from '../app.ts';
import { startTestIngest } from '../test-ingest.ts';

const ns = useTestNamespace();
let ingest: Ingest;
let nc: NatsConnection;

beforeAll(async () => {
  ingest = await startTestIngest(ns);
  nc = await connect({ servers: ns.natsUrl });
});
afterAll(async () => {
  await ingest?.close();
  await nc?.close();
});

const call = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${ingest.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const push = (token: string, device?: string) =>
  call('POST', '/v1/usage', token, { ...(device ? { device } : {}), entries: [usageEntry(`push-${Math.random()}`)] });

describe('accounts, devices and tokens', () => {
  let acmeAdmin: string;
  let laptopToken: IssuedToken;

  it('lets only the bootstrap admin create an account, which comes with its first admin token', async () => {
    const created = await call('POST', '/v1/accounts', ns.adminToken, { id: 'acme', name: 'Acme' });
    expect(created.status).toBe(201);
    const body = CreateAccountReply.parse(await created.json());
    expect(body.account).toMatchObject({ id: 'acme', name: 'Acme' });
    expect(body.adminToken).toMatchObject({ account: 'acme', scope: 'admin' });
    expect(body.adminToken.token).toMatch(/^ccs_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    acmeAdmin = body.adminToken.token;

    expect((await call('POST', '/v1/accounts', ns.adminToken, { id: 'acme' })).status).toBe(409);
    const notBootstrap = await call('POST', '/v1/accounts', acmeAdmin, { id: 'other' });
    expect(notBootstrap.status).toBe(403);
    expect(await call('GET', '/v1/whoami', acmeAdmin).then((response) => response.json())).toEqual({
      account: 'acme',
      scope: 'admin',
    });
  });

  it('registers a device as an event in the history, with a token that pushes only as that device', async () => {
    const registered = await call('POST', '/v1/devices', acmeAdmin, { device: 'laptop', label: 'work laptop' });
    expect(registered.status).toBe(201);
    const body = RegisterDeviceReply.parse(await registered.json());
    laptopToken = body.token;
    expect(laptopToken).toMatchObject({ account: 'acme', scope: 'device', device: 'laptop', label: 'work laptop' });

    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage(ns.names.eventStream, {
      last_by_subj: ns.names.eventSubject('acme' as never, 'DeviceRegistered'),
    });
    const event = decodeEvent(stored?.json());
    expect(event).toMatchObject({
      ok: true,
      event: {
        type: 'DeviceRegistered',
        account: 'acme',
        device: 'laptop',
        data: { tokenId: laptopToken.id, label: 'work laptop' },
      },
    });

    expect((await push(laptopToken.token)).status).toBe(202);
    expect((await push(laptopToken.token, 'laptop')).status).toBe(202);
    const asOther = await push(laptopToken.token, 'desktop');
    expect(asOther.status).toBe(403);
    expect(await asOther.json()).toMatchObject({ code: 'CCSYNC_FORBIDDEN' });
    expect((await call('GET', '/v1/tokens', laptopToken.token)).status).toBe(403);
    expect((await call('POST', '/v1/devices', laptopToken.token, { device: 'sneaky' })).status).toBe(403);
  });

  it('issues viewer tokens that cannot push, and lists tokens without their secrets', async () => {
    const issued = await call('POST', '/v1/tokens', acmeAdmin, { scope: 'viewer', label: 'dashboard' });
    expect(issued.status).toBe(201);
    const viewer = IssuedToken.parse(await issued.json());
    expect((await push(viewer.token, 'laptop')).status).toBe(403);

    const listed = TokenListReply.parse(await (await call('GET', '/v1/tokens', acmeAdmin)).json());
    expect(listed.tokens.map((token) => [token.scope, token.label])).toEqual([
      ['admin', 'first admin token'],
      ['device', 'work laptop'],
      ['viewer', 'dashboard'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(viewer.token.slice(21));

    const other = TokenListReply.parse(await (await call('GET', '/v1/tokens', ns.adminToken)).json());
    expect(other.tokens.some((token) => token.account === 'acme')).toBe(false);
  });

  it('keeps only a hash of each token in NATS KV', async () => {
    const kv = await new Kvm(nc).open(ns.names.authBucket);
    const entry = await kv.get(`tokens.${laptopToken.id}`);
    const stored = entry?.string() ?? '';
    expect(stored).toContain(laptopToken.id);
    expect(stored).not.toContain(laptopToken.token.slice(21));
  });

  it('stops accepting a revoked token within seconds, and 404s another account’s token', async () => {
    expect((await call('DELETE', `/v1/tokens/${laptopToken.id}`, ns.adminToken)).status).toBe(404);
    expect((await call('DELETE', `/v1/tokens/${laptopToken.id}`, acmeAdmin)).status).toBe(204);
    await waitFor(async () => (await push(laptopToken.token)).status === 401, { timeoutMs: 5000, intervalMs: 100 });
  });

  it('refuses tokens that only look like issued ones', async () => {
    const forged = `${laptopToken.token.slice(0, 21)}${'A'.repeat(43)}`;
    expect((await call('GET', '/v1/whoami', forged)).status).toBe(401);
    expect((await call('GET', '/v1/whoami', 'ccs_not-a-token')).status).toBe(401);
  });
});
