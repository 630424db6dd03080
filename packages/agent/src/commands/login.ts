import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { AgentError, ExitCode } from '../errors.ts';
import { printJson, printLine } from '../output.ts';
import { type AgentSettings, configFile, readStoredConfig } from '../settings.ts';

interface ServerReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(url: string, token: string, body?: unknown): Promise<ServerReply> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new AgentError(ExitCode.NotConfigured, `Cannot reach ${url}: ${(error as Error).message}`);
  }
  if (response.status === 401 || response.status === 403)
    throw new AgentError(ExitCode.AuthRefused, `${url} refused this token`);
  if (!response.ok) throw new AgentError(ExitCode.NotConfigured, `${url} answered HTTP ${response.status}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Enrolls this machine. With an admin token it registers the device and keeps two narrower
 * tokens instead: the device's own, which may push as this device and nothing else, and a viewer
 * token for the account-wide reads (reports, monitor, status line). A device token is kept as it
 * is; a viewer token makes a read-only install, for a machine that only watches.
 * The server and tokens go to the XDG config directory with mode 0600.
 */
export async function runLogin(url: string, settings: AgentSettings): Promise<void> {
  const ingestUrl = url.replace(/\/+$/, '');
  if (settings.token === undefined) throw new AgentError(ExitCode.Usage, 'Pass a token with --token (or CCSYNC_TOKEN)');
  const whoami = (await call(`${ingestUrl}/v1/whoami`, settings.token)).body;
  const account = String(whoami.account);
  let token: string | undefined = settings.token;
  let readToken: string | undefined;
  let device = typeof whoami.device === 'string' ? whoami.device : settings.device;
  if (whoami.scope === 'viewer') {
    readToken = settings.token;
    token = undefined;
  }
  if (whoami.scope === 'admin') {
    const registered = (await call(`${ingestUrl}/v1/devices`, settings.token, { device: settings.device })).body;
    token = String((registered.token as { token: string }).token);
    device = String(registered.device);
    const viewer = (
      await call(`${ingestUrl}/v1/tokens`, settings.token, { scope: 'viewer', label: `ccsync on ${device}` })
    ).body;
    readToken = String(viewer.token);
  }

  const path = configFile();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const stored = {
    ...(await readStoredConfig()),
    ingestUrl,
    ...(settings.gatewayUrl === undefined ? {} : { gatewayUrl: settings.gatewayUrl }),
    ...(token === undefined ? {} : { token }),
    ...(readToken === undefined ? {} : { readToken }),
    device,
  };
  await writeFileAtomic(path, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  const access = token === undefined ? 'read-only' : readToken === undefined ? 'push' : 'push and read';
  if (settings.json) printJson({ ingestUrl, account, device, access, config: path });
  else printLine(`Logged in to ${ingestUrl} as device ${device} of account ${account} (${access}); saved to ${path}`);
}
