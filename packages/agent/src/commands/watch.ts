import { type FSWatcher, watch } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { AgentError } from '../errors.ts';
import { printError, printLine } from '../output.ts';
import { silentProgress } from '../progress.ts';
import { createIngestClient } from '../push/ingest-client.ts';
import { followSyncRequests, type SyncAnswer } from '../push/sync-requests.ts';
import { RATE_LIMITS_FILE } from '../rate-limits/observation-file.ts';
import { sendPendingRateLimits } from '../rate-limits/send-observation.ts';
import { gatewayReader } from '../server/gateway-reader.ts';
import type { AgentSettings } from '../settings.ts';
import { keepStatuslineCache } from '../statusline/cache-keeper.ts';
import { findProjectsDirs } from '../transcripts/claude-dirs.ts';
import { printPushResult, requireServer, runPush } from './push.ts';

/** A new line is pushed this long after the last write to its file, so bursts go as one batch. */
const DEBOUNCE_MS = 150;
/** Catches what file events miss (network file systems, editors replacing files). */
const POLL_MS = 10_000;
const HEARTBEAT_MS = 30_000;
const MAX_RETRY_MS = 5 * 60_000;

/**
 * Follows the transcripts and pushes within a second of a new line. When the server is
 * unreachable, batches wait in the spool and are retried with exponential backoff. Sends a
 * heartbeat so the server can show the device as online, and sends the official rate limits the
 * status line records. With a gateway configured, pushes when asked to over its WebSocket, and
 * keeps the status line's figures of the account fresh. Stops cleanly on SIGINT or SIGTERM.
 */
export async function runWatch(settings: AgentSettings): Promise<void> {
  const { ingestUrl, token } = requireServer(settings);
  const projectsDirs = await findProjectsDirs(settings.claudeDirs);
  let running: Promise<SyncAnswer> | undefined;
  let again = false;
  let retryMs = 1000;
  let retryTimer: NodeJS.Timeout | undefined;
  let debounceTimer: NodeJS.Timeout | undefined;
  let stopping = false;

  /** Pushes, once more if asked again meanwhile; resolves with what the pushes sent. */
  const pushNow = (): Promise<SyncAnswer> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      let records = 0;
      let error: string | undefined;
      do {
        again = false;
        try {
          const result = await runPush(settings, silentProgress);
          records += result.acknowledged;
          error = result.waiting > 0 ? `${result.waiting} entries wait in the spool for the server` : undefined;
          if (result.entriesRead > 0 || result.acknowledged > 0 || result.spooled > 0)
            printPushResult(settings, result);
          clearTimeout(retryTimer);
          if (result.waiting > 0) {
            // The server is away: try again later, waiting longer each time.
            if (!stopping) retryTimer = setTimeout(() => void pushNow(), retryMs);
            retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
          } else {
            retryMs = 1000;
          }
        } catch (failure) {
          if (!(failure instanceof AgentError)) throw failure;
          printError(failure.message);
          error = failure.message;
        }
      } while (again);
      running = undefined;
      return error === undefined ? { ok: true, records } : { ok: false, records, error };
    })();
    return running;
  };

  const schedule = () => {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => void pushNow(), DEBOUNCE_MS);
  };

  const heartbeat = () =>
    fetch(`${ingestUrl}/v1/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ device: settings.device }),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);

  const watchers: FSWatcher[] = projectsDirs.map((dir) =>
    watch(dir, { recursive: true }, (_event, name) => {
      if (name === null || name.endsWith('.jsonl')) schedule();
    }),
  );
  // The status line records the official rate limits in the state directory; send them as they change.
  await mkdir(settings.stateDir, { recursive: true, mode: 0o700 });
  let sendingRateLimits: Promise<unknown> = Promise.resolve();
  const sendRateLimits = () => {
    sendingRateLimits = sendingRateLimits
      .then(() => sendPendingRateLimits(settings.stateDir, createIngestClient(ingestUrl, token), settings.device))
      .catch(() => undefined);
  };
  watchers.push(
    watch(settings.stateDir, (_event, name) => {
      if (name === null || name === RATE_LIMITS_FILE) sendRateLimits();
    }),
  );
  const poll = setInterval(schedule, POLL_MS);
  const beat = setInterval(() => void heartbeat(), HEARTBEAT_MS);
  void heartbeat();
  const stopSyncRequests =
    settings.gatewayUrl === undefined
      ? undefined
      : followSyncRequests({
          gatewayUrl: settings.gatewayUrl,
          token,
          device: settings.device,
          onRequest: pushNow,
          onFatal: printError,
        });

  // With a gateway, keep the status line's figures of the whole account fresh.
  const stopStatuslineCache =
    settings.gatewayUrl === undefined || settings.readToken === undefined
      ? undefined
      : keepStatuslineCache({ reader: gatewayReader(settings), stateDir: settings.stateDir, onFatal: printError });

  // Signals are handled from here on, so one that comes during the first push stops cleanly too.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      stopping = true;
      for (const watcher of watchers) watcher.close();
      clearInterval(poll);
      clearInterval(beat);
      stopSyncRequests?.();
      clearTimeout(debounceTimer);
      clearTimeout(retryTimer);
      void Promise.all([running, sendingRateLimits, stopStatuslineCache?.()]).finally(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (!settings.json) printLine(`Watching ${projectsDirs.join(', ')} as ${settings.device}; Ctrl-C stops`);
  await pushNow();
  await stopped;
}
