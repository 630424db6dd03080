import { AgentError, ExitCode } from '../errors.ts';
import { formatCount, printJson, printLine } from '../output.ts';
import { type Progress, silentProgress, terminalProgress } from '../progress.ts';
import { createIngestClient } from '../push/ingest-client.ts';
import { type PushResult, pushUsage } from '../push/push-usage.ts';
import type { AgentSettings } from '../settings.ts';

export function requireServer(settings: AgentSettings): { ingestUrl: string; token: string } {
  if (settings.ingestUrl === undefined || settings.token === undefined) {
    throw new AgentError(
      ExitCode.NotConfigured,
      'No server configured: run `ccsync login <url> --token <token>`, or pass --ingest and --token (or set CCSYNC_INGEST_URL and CCSYNC_TOKEN)',
    );
  }
  return { ingestUrl: settings.ingestUrl, token: settings.token };
}

export async function runPush(settings: AgentSettings, progress?: Progress): Promise<PushResult> {
  const { ingestUrl, token } = requireServer(settings);
  return pushUsage({
    device: settings.device,
    claudeDirs: settings.claudeDirs,
    stateDir: settings.stateDir,
    batchSize: settings.batchSize,
    client: createIngestClient(ingestUrl, token),
    progress: progress ?? (settings.json ? silentProgress : await terminalProgress()),
  });
}

export function printPushResult(settings: AgentSettings, result: PushResult): void {
  if (settings.json) {
    printJson({ device: settings.device, ...result });
    return;
  }
  const parts = [`${formatCount(result.entriesRead)} new entries from ${formatCount(result.filesRead)} files`];
  if (result.acknowledged > 0) parts.push(`${formatCount(result.acknowledged)} stored on the server`);
  if (result.waiting > 0) parts.push(`${formatCount(result.waiting)} wait in the spool until the server is reachable`);
  printLine(`${settings.device}: ${parts.join('; ')}`);
}
