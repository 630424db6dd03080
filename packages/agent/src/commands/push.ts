import { mkdir } from 'node:fs/promises';
import { AgentError, ExitCode } from '../errors.ts';
import { formatCount, printJson, printLine } from '../output.ts';
import { defaultStateDir } from '../paths.ts';
import { type Progress, silentProgress, terminalProgress } from '../progress.ts';
import { createIngestClient } from '../push/ingest-client.ts';
import { type PushResult, pushUsage } from '../push/push-usage.ts';
import { sendPendingRateLimits } from '../rate-limits/send-observation.ts';
import { type AgentSettings, type CommonFlags, resolveSettings } from '../settings.ts';
import { writePushStatus } from '../state/status.ts';

export function requireServer(settings: AgentSettings): { ingestUrl: string; token: string } {
  if (settings.ingestUrl === undefined || settings.token === undefined) {
    throw new AgentError(
      ExitCode.NotConfigured,
      'No server configured: run `ccsync login <url> --token <token>`, or pass --ingest and --token (or set CCSYNC_INGEST_URL and CCSYNC_TOKEN)',
    );
  }
  return { ingestUrl: settings.ingestUrl, token: settings.token };
}

/** Pushes new usage, then the official rate-limit figures the status line recorded, if any are pending. */
export async function runPush(settings: AgentSettings, progress?: Progress): Promise<PushResult> {
  const { ingestUrl, token } = requireServer(settings);
  const client = createIngestClient(ingestUrl, token);
  try {
    return await pushUsage({
      device: settings.device,
      claudeDirs: settings.claudeDirs,
      stateDir: settings.stateDir,
      batchSize: settings.batchSize,
      client,
      progress: progress ?? (settings.json ? silentProgress : await terminalProgress()),
    });
  } finally {
    await sendPendingRateLimits(settings.stateDir, client, settings.device);
  }
}

/**
 * `ccsync push --quiet`, what Claude Code's hooks run: prints nothing, since a hook's output
 * would reach Claude Code, and exits 0 whatever happens, since a failing hook would show there.
 * A problem is kept as the last push's error, for `ccsync status`.
 */
export async function runQuietPush(flags: CommonFlags): Promise<void> {
  let settings: AgentSettings | undefined;
  try {
    settings = await resolveSettings(flags);
    await runPush(settings, silentProgress);
  } catch (error) {
    const message = error instanceof AgentError ? error.message : String((error as Error).stack ?? error);
    const stateDir = settings?.stateDir ?? (flags.stateDir || defaultStateDir());
    await mkdir(stateDir, { recursive: true, mode: 0o700 }).catch(() => undefined);
    await writePushStatus(stateDir, {
      at: new Date().toISOString(),
      device: settings?.device ?? flags.device ?? 'unknown',
      entriesRead: 0,
      entriesAcknowledged: 0,
      entriesSpooled: 0,
      lastSeq: null,
      error: message,
    }).catch(() => undefined);
  }
  process.exitCode = ExitCode.Ok;
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
