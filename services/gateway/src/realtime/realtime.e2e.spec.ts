import { CreateAccountReply, IssuedToken, RegisterDeviceReply, type ServerMessage } from '@ccsync/contracts';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { type Projector, ProjectorEnv, startProjector } from '@ccsync/projector';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import {
  openTestSocket,
  type ServiceProcess,
  startServiceProcess,
  type TestSocket,
  usageEntry,
  useTestNamespace,
} from '@ccsync/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/*
 * Three gateway processes behind no load balancer: clients on any of them see every change, a
 * client of a killed one resumes on another with nothing lost or repeated, and relayed events
 * cross replicas. Nothing is shared between them but NATS and Redis.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
let ingest: Ingest;
let projector: Projector;
let gateways: ServiceProcess[] = [];
const sockets: TestSocket[] = [];
let deviceToken: string;
let viewerToken: string;

const post = async (path: string, token: string, body: unknown) => {
  const response = await fetch(`${ingest.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);
  return response.json();
};

beforeAll(async () => {
  const env = ns.env({ INGEST_PORT: '0', PROJECTOR_PORT: '0', GATEWAY_RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' });
  ingest = await startIngest(parseEnv(IngestEnv, env), logger);
  projector = await startProjector(parseEnv(ProjectorEnv, env), logger);
  gateways = await Promise.all([1, 2, 3].map(() => startServiceProcess('gateway', env)));
  deviceToken = RegisterDeviceReply.parse(await post('/v1/devices', ns.adminToken, { device: 'cli-box' })).token.token;
  viewerToken = IssuedToken.parse(await post('/v1/tokens', ns.adminToken, { scope: 'viewer' })).token;
}, 90_000);
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop('SIGKILL')));
  await projector?.close();
  await ingest?.close();
});

async function open(gateway: ServiceProcess, token = ns.adminToken): Promise<TestSocket> {
  const socket = await openTestSocket(`${gateway.url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
  sockets.push(socket);
  await socket.next((message) => message.type === 'authenticated');
  return socket;
}
async function subscribe(socket: TestSocket, message: Record<string, unknown>) {
  const before = socket.messages.length;
  socket.send({ type: 'subscribe', ...message });
  return socket.next<Extract<ServerMessage, { type: 'subscribed' }>>(
    (reply) => reply.type === 'subscribed' && socket.messages.indexOf(reply) >= before,
  );
}

let seed = 0;
async function push(device = 'laptop'): Promise<number> {
  const reply = (await post('/v1/usage', ns.adminToken, { device, entries: [usageEntry(`e2e-${seed++}`)] })) as {
    seq: number;
  };
  return reply.seq;
}

type Positioned = Extract<ServerMessage, { seq: number; epoch: string }>;
/** The history-backed messages a socket received, as (channel, seq) pairs. */
const positioned = (socket: TestSocket) =>
  (socket.messages as Positioned[]).filter((message) => typeof message.seq === 'number' && 'epoch' in message);
const positions = (socket: TestSocket) => positioned(socket).map(({ channel, seq }) => `${channel}@${seq}`);
const sawEvent = (eventSeq: number) => (message: Record<string, unknown>) =>
  message.type === 'token_usage_update' && (message.payload as { seq: number }).seq === eventSeq;
/** Waits until a socket subscribed to usage and blocks has both notices of an event. */
async function settled(socket: TestSocket, eventSeq: number) {
  await socket.next(sawEvent(eventSeq));
  await socket.next(
    (message) => message.type === 'block_update' && (message.payload as { seq: number }).seq === eventSeq,
  );
}

describe('several gateway replicas', () => {
  it('deliver every update to clients on any of them, with the same positions', async () => {
    const clients = await Promise.all(gateways.map((gateway) => open(gateway)));
    for (const client of clients) await subscribe(client, { channels: ['usage', 'blocks'] });
    let last = 0;
    for (let i = 0; i < 10; i++) last = await push(i % 2 === 0 ? 'laptop' : 'desktop');
    for (const client of clients) await settled(client, last);
    const [first, ...others] = clients.map(positions);
    expect(first?.filter((position) => position.startsWith('usage@')).length).toBeGreaterThan(0);
    for (const other of others) expect(other).toEqual(first);
  });

  it('let the clients of a killed replica resume on another, with no gaps and no duplicates', async () => {
    const [doomed, survivor, witness] = gateways as [ServiceProcess, ServiceProcess, ServiceProcess];
    const reference = await open(witness);
    await subscribe(reference, { channels: ['usage', 'blocks'] });
    const victim = await open(doomed);
    await subscribe(victim, { channels: ['usage', 'blocks'] });

    const before = [await push(), await push('desktop')];
    await victim.next(sawEvent(before[1] as number));
    await doomed.stop('SIGKILL');
    expect((await victim.closed).code).toBe(1006);
    const during = [await push(), await push('desktop'), await push()];
    await reference.next(sawEvent(during[2] as number));

    // The client reconnects to another replica with the position of the last message it saw.
    const last = positioned(victim).at(-1);
    if (last === undefined) throw new Error('the victim saw nothing');
    const resumed = await open(survivor);
    const reply = await subscribe(resumed, {
      channels: ['usage', 'blocks'],
      since: { seq: last.seq, epoch: last.epoch },
    });
    expect(reply.recovered).toBe(true);
    const after = await push();
    await settled(resumed, after);
    await settled(reference, after);

    const start = positions(reference).indexOf(`${last.channel}@${last.seq}`);
    expect(start).toBeGreaterThanOrEqual(0);
    // Everything the witness saw after the victim's last message, exactly once and in order.
    expect(positions(resumed)).toEqual(positions(reference).slice(start + 1));
    expect([...positions(victim), ...positions(resumed)]).toEqual(
      positions(reference).slice(positions(reference).indexOf(positions(victim)[0] as string)),
    );
    gateways = gateways.filter((gateway) => gateway !== doomed);
  });

  it('relay seed 004 events between clients of different replicas, commands only to those that accept them', async () => {
    const [a, b] = gateways as [ServiceProcess, ServiceProcess];
    const cli = await open(a, deviceToken);
    cli.send({ type: 'join_session', sessionId: 'build' });
    await cli.next((message) => message.type === 'subscribed');
    cli.send({ type: 'accept_commands' });
    await cli.next((message) => message.type === 'commands_accepted');
    const web = await open(b);
    web.send({ type: 'join_session', sessionId: 'build' });
    await web.next((message) => message.type === 'subscribed');
    const viewer = await open(a, viewerToken);
    viewer.send({ type: 'join_session', sessionId: 'build' });
    await viewer.next((message) => message.type === 'subscribed');

    const webId = (web.messages[0] as { connection: string }).connection;
    web.send({ type: 'terminal_command', payload: { command: 'npm test', sessionId: 'build', commandId: 'c1' } });
    web.send({ type: 'chat_message', payload: { content: 'running the tests', sessionId: 'build' } });
    const command = await cli.next((message) => message.type === 'terminal_command');
    expect(command).toEqual({
      type: 'terminal_command',
      channel: 'session:build',
      payload: { command: 'npm test', sessionId: 'build', commandId: 'c1' },
      from: { connection: webId },
    });
    // In order from one sender: the viewer has the chat message, and never had the command.
    await viewer.next((message) => message.type === 'chat_message');
    expect(viewer.messages.some((message) => (message as { type: string }).type === 'terminal_command')).toBe(false);

    cli.send({
      type: 'terminal_output',
      payload: { output: 'ok 12 tests', sessionId: 'build', commandId: 'c1', exitCode: 0 },
    });
    const output = await web.next((message) => message.type === 'terminal_output');
    expect(output).toMatchObject({ payload: { output: 'ok 12 tests', exitCode: 0 }, from: { device: 'cli-box' } });

    // Account-wide, to everyone but the sender.
    web.send({ type: 'tts_notification', payload: { message: 'Build completed successfully!', type: 'success' } });
    for (const receiver of [cli, viewer]) {
      expect(await receiver.next((message) => message.type === 'tts_notification')).toMatchObject({
        payload: { message: 'Build completed successfully!', type: 'success', priority: 'normal' },
      });
    }
    web.send({ type: 'ping' });
    await web.next((message) => message.type === 'pong');
    expect(web.messages.some((message) => (message as { type: string }).type === 'tts_notification')).toBe(false);
  });

  it('refuse subscriptions a token may not make, and keep accounts apart across replicas', async () => {
    const [a, b] = gateways as [ServiceProcess, ServiceProcess];
    const acmeAdmin = CreateAccountReply.parse(await post('/v1/accounts', ns.adminToken, { id: 'acme-rt' })).adminToken
      .token;
    const acme = await open(b, acmeAdmin);
    await subscribe(acme, { channels: ['usage'] });
    acme.send({ type: 'join_session', sessionId: 'build' });
    await acme.next((message) => message.type === 'subscribed' && (message.channels as string[]).length === 2);

    const agent = await open(a, deviceToken);
    for (const channel of ['usage', 'device:cli-box', 'blocks', 'presence', 'cron']) {
      agent.send({ type: 'subscribe', channels: [channel] });
      await agent.next((message) => message.type === 'error' && String(message.message).includes(`"${channel}"`));
    }
    const viewer = await open(a, viewerToken);
    viewer.send({ type: 'terminal_command', payload: { command: 'rm -rf /', sessionId: 'build' } });
    await viewer.next((message) => message.type === 'error' && message.code === 'CCSYNC_FORBIDDEN');

    // The default account's change and relayed event reach none of acme's sockets.
    await push();
    viewer.send({ type: 'chat_message', payload: { content: 'only for default', sessionId: 'build' } });
    const own = await post('/v1/usage', acmeAdmin, { device: 'acme-box', entries: [usageEntry('acme-rt-1')] });
    await acme.next(sawEvent((own as { seq: number }).seq));
    expect(positioned(acme).map((message) => (message.payload as { account: string }).account)).toEqual(['acme-rt']);
    expect(acme.messages.some((message) => (message as { type: string }).type === 'chat_message')).toBe(false);
  });

  it('close their sockets with 1001 on a clean shutdown, so clients reconnect elsewhere', async () => {
    const leaving = gateways.at(-1) as ServiceProcess;
    const client = await open(leaving);
    expect(await leaving.stop('SIGTERM')).toBe(0);
    expect((await client.closed).code).toBe(1001);
    gateways = gateways.filter((gateway) => gateway !== leaving);
  });
});
