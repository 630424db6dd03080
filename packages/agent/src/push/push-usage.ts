import type { DeviceId, PushUsageRequest, UsageEntry } from '@ccsync/contracts';
import { AgentError, ExitCode } from '../errors.ts';
import type { Progress } from '../progress.ts';
import { CursorStore, type FileSnapshot } from '../state/cursors.ts';
import { withStateLock } from '../state/lock.ts';
import { writePushStatus } from '../state/status.ts';
import { findProjectsDirs } from '../transcripts/claude-dirs.ts';
import { discoverTranscripts } from '../transcripts/discover-files.ts';
import { readUsage } from '../transcripts/read-usage.ts';
import { BatchTooLargeError, type IngestClient, ServerUnavailableError } from './ingest-client.ts';
import { Spool } from './spool.ts';

export interface PushOptions {
  readonly device: DeviceId;
  readonly claudeDirs: string | undefined;
  readonly stateDir: string;
  readonly client: IngestClient;
  readonly progress: Progress;
  /** Entries per request; one request becomes one event in the server's history. */
  readonly batchSize: number;
}

export interface PushResult {
  readonly filesRead: number;
  readonly entriesRead: number;
  /** Entries the server acknowledged in this run, spooled ones included once they got through. */
  readonly acknowledged: number;
  /** Entries this run put in the spool because the server could not be reached. */
  readonly spooled: number;
  /** Entries in the spool when the run ended, from this run or earlier ones. */
  readonly waiting: number;
  readonly lastSeq: number | null;
}

interface PendingCursor {
  readonly path: string;
  readonly offset: number;
  readonly snapshot: FileSnapshot;
}

/**
 * One incremental push: first what waits in the spool, then every new line of every transcript.
 * A file's cursor moves only once all its entries were acknowledged or durably spooled, so a crash
 * at any point re-reads, and the server recognises what it already has.
 */
export function pushUsage(options: PushOptions): Promise<PushResult> {
  return withStateLock(options.stateDir, () => pushLocked(options));
}

async function pushLocked({ device, claudeDirs, stateDir, client, progress, batchSize }: PushOptions) {
  const spool = new Spool(stateDir);
  const cursors = await CursorStore.load(stateDir);
  let serverUp = true;
  let acknowledged = 0;
  let spooled = 0;
  let lastSeq: number | null = null;

  /**
   * Sends a batch and returns the entries the server did not store (none when it took them all). A
   * batch too large for one event (a NATS server whose `max_payload` is smaller than the batch
   * size assumes) goes again in halves.
   */
  const send = async (batch: PushUsageRequest): Promise<UsageEntry[]> => {
    if (!serverUp) return batch.entries;
    try {
      const reply = await client.pushUsage(batch);
      acknowledged += batch.entries.length;
      lastSeq = Math.max(lastSeq ?? 0, reply.seq);
      return [];
    } catch (error) {
      if (error instanceof BatchTooLargeError && batch.entries.length > 1) {
        const half = Math.ceil(batch.entries.length / 2);
        const first = await send({ ...batch, entries: batch.entries.slice(0, half) });
        const second = await send({ ...batch, entries: batch.entries.slice(half) });
        return [...first, ...second];
      }
      if (error instanceof BatchTooLargeError) {
        throw new AgentError(ExitCode.Rejected, `The server rejected a batch (${error.message})`, { cause: error });
      }
      if (!(error instanceof ServerUnavailableError)) throw error;
      serverUp = false;
      return batch.entries;
    }
  };

  // Older usage first: whatever an earlier run could not deliver.
  for (const name of await spool.list()) {
    const batch = await spool.read(name);
    if (batch === undefined) continue;
    // Part of a batch may be stored when the server goes away: the whole batch stays spooled, and
    // the server recognises that part when it comes again.
    if ((await send(batch)).length > 0) break;
    await spool.remove(name);
  }

  const projectsDirs = await findProjectsDirs(claudeDirs);
  if (projectsDirs.length === 0) {
    throw new AgentError(
      ExitCode.NoTranscripts,
      `No Claude Code data found${claudeDirs === undefined ? ' in ~/.config/claude or ~/.claude' : ` in ${claudeDirs}`} (expected a projects/ directory)`,
    );
  }
  const files = discoverTranscripts(projectsDirs);
  const plans = [];
  let bytesToRead = 0;
  for (const file of files) {
    const plan = cursors.plan(file.path);
    if (plan.unchanged) continue;
    plans.push({ file, plan });
    bytesToRead += plan.snapshot.size - plan.from;
  }
  progress.start(bytesToRead, plans.length);

  let pending: UsageEntry[] = [];
  let pendingCursors: PendingCursor[] = [];
  let entriesRead = 0;
  const flush = async () => {
    while (pending.length > 0) {
      const batch: PushUsageRequest = { device, source: 'transcript', entries: pending.slice(0, batchSize) };
      pending = pending.slice(batchSize);
      const unsent = await send(batch);
      if (unsent.length === 0) continue;
      try {
        await spool.add({ ...batch, entries: unsent });
      } catch (error) {
        throw new AgentError(
          ExitCode.SpoolFailed,
          `The server is unreachable and spooling failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      spooled += unsent.length;
    }
    for (const cursor of pendingCursors) cursors.advance(cursor.path, cursor.offset, cursor.snapshot);
    pendingCursors = [];
    await cursors.save();
  };

  try {
    for (const { file, plan } of plans) {
      const read = readUsage(file, plan.from, (bytes) => progress.advance(bytes));
      entriesRead += read.entries.length;
      progress.count(read.entries.length);
      for (const entry of read.entries) pending.push(entry);
      pendingCursors.push({ path: file.path, offset: read.endOffset, snapshot: plan.snapshot });
      if (pending.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    progress.stop();
  }

  const { entries: waiting } = await spool.summary();
  const result: PushResult = { filesRead: plans.length, entriesRead, acknowledged, spooled, waiting, lastSeq };
  await writePushStatus(stateDir, {
    at: new Date().toISOString(),
    device,
    entriesRead,
    entriesAcknowledged: acknowledged,
    entriesSpooled: spooled,
    lastSeq,
    error: serverUp ? null : 'server unreachable; batches wait in the spool',
  });
  return result;
}
