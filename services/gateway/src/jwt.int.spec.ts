import { CreateAccountReply } from '@ccsync/contracts';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { openTestSocket, useTestNamespace } from '@ccsync/testkit';
import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './app.ts';
import { GatewayEnv } from './config.ts';

/*
 * JWTs signed by a configured key are tokens too, for seed 004's web and mobile clients: with a
 * shared secret (HS256) or a key pair (here ES256), and refused on any doubt.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const SECRET = 's'.repeat(48);
let ingest: Ingest;
let gateway: Gateway;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const env = {
    CCSYNC_JWT_SECRET: SECRET,
    CCSYNC_JWT_PUBLIC_KEY: await exportSPKI(pair.publicKey),
    CCSYNC_JWT_ISSUER: 'https://login.example',
  };
  ingest = await startIngest(parseEnv(IngestEnv, ns.env({ ...env, INGEST_PORT: '0' })), logger);
  gateway = await startGateway(parseEnv(GatewayEnv, ns.env({ ...env, GATEWAY_PORT: '0' })), logger);
  const created = await fetch(`${ingest.url}/v1/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'mobile' }),
  });
  CreateAccountReply.parse(await created.json());
});
afterAll(async () => {
  await gateway?.close();
  await ingest?.close();
});

const valid = { account: 'mobile', scope: 'viewer', iss: 'https://login.example', aud: 'ccsync' };

async function hs256(claims: JWTPayload, expiresIn: string | number = '5m', secret = SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

const status = async (path: string, token: string) =>
  (await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('JWT bearer tokens', () => {
  it('are accepted when signed with the shared secret or the key pair', async () => {
    expect(await status('/api/usage', await hs256(valid))).toBe(200);
    const es256 = await new SignJWT({ ...valid, scope: 'admin' })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await status('/api/usage', es256)).toBe(200);
    // Ingest accepts them too: a device JWT pushes as its device.
    const push = await fetch(`${ingest.url}/v1/heartbeat`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await hs256({ ...valid, scope: 'device', device: 'phone' })}`,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(push.status).toBeLessThan(300);
  });

  it('keep their scope: a device JWT may not read', async () => {
    expect(await status('/api/usage', await hs256({ ...valid, scope: 'device', device: 'phone' }))).toBe(403);
  });

  it.each([
    ['expired', () => hs256(valid, Math.floor(Date.now() / 1000) - 60)],
    ['signed with another secret', () => hs256(valid, '5m', 'x'.repeat(48))],
    ['for another audience', () => hs256({ ...valid, aud: 'someone-else' })],
    ['from another issuer', () => hs256({ ...valid, iss: 'https://evil.example' })],
    ['for an account that does not exist', () => hs256({ ...valid, account: 'ghost' })],
    ['claiming the metrics scope', () => hs256({ ...valid, scope: 'metrics' })],
    ['a device scope without its device', () => hs256({ ...valid, scope: 'device' })],
    [
      'without an expiry',
      () => new SignJWT(valid).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET)),
    ],
    [
      'unsigned (alg none)',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...valid, exp: 9e9 })).toString('base64url')}.x`,
    ],
  ])('are refused when %s', async (_case, token) => {
    expect(await status('/api/usage', await token())).toBe(401);
  });

  it('open the WebSocket', async () => {
    const socket = await openTestSocket(
      `${gateway.url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(await hs256(valid))}`,
    );
    socket.send({ type: 'subscribe', channels: ['usage'] });
    await socket.next((message) => message.type === 'subscribed');
    await socket.close();
  });
});
