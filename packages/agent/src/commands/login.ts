import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { AgentError, ExitCode } from '../errors.ts';
import { printJson, printLine } from '../output.ts';
import { type AgentSettings, configFile, readStoredConfig } from '../settings.ts';

/**
 * Stores the server and token in the XDG config directory (mode 0600), after checking with the
 * server that the token is valid and may push as this device.
 */
export async function runLogin(url: string, settings: AgentSettings): Promise<void> {
  const ingestUrl = url.replace(/\/+$/, '');
  if (settings.token === undefined) {
    throw new AgentError(ExitCode.Usage, 'Pass the device token with --token (or CCSYNC_TOKEN)');
  }
  let response: Response;
  try {
    response = await fetch(`${ingestUrl}/v1/whoami`, {
      headers: { authorization: `Bearer ${settings.token}` },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new AgentError(ExitCode.NotConfigured, `Cannot reach ${ingestUrl}: ${(error as Error).message}`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new AgentError(ExitCode.AuthRefused, `${ingestUrl} refused this token`);
  }
  if (!response.ok) throw new AgentError(ExitCode.NotConfigured, `${ingestUrl} answered HTTP ${response.status}`);
  const principal = (await response.json()) as { account: string; scope: string; device?: string };
  const device = principal.device ?? settings.device;

  const path = configFile();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const stored = { ...(await readStoredConfig()), ingestUrl, token: settings.token, device };
  await writeFileAtomic(path, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  if (settings.json) printJson({ ingestUrl, account: principal.account, scope: principal.scope, device, config: path });
  else
    printLine(
      `Logged in to ${ingestUrl} as ${device} (account ${principal.account}, ${principal.scope} token); saved to ${path}`,
    );
}
