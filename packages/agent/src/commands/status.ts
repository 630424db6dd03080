import { formatCount, printJson, printLine } from '../output.ts';
import { Spool } from '../push/spool.ts';
import type { AgentSettings } from '../settings.ts';
import { CursorStore } from '../state/cursors.ts';
import { readPushStatus } from '../state/status.ts';

export async function runStatus(settings: AgentSettings): Promise<void> {
  const cursors = await CursorStore.load(settings.stateDir);
  const spool = await new Spool(settings.stateDir).summary();
  const lastPush = (await readPushStatus(settings.stateDir)) ?? null;
  const status = {
    device: settings.device,
    server: settings.ingestUrl ?? null,
    gateway: settings.gatewayUrl ?? null,
    stateDir: settings.stateDir,
    cursor: { files: cursors.size, bytesRead: cursors.bytesRead },
    spool,
    lastPush,
  };
  if (settings.json) {
    printJson(status);
    return;
  }
  printLine(`device      ${status.device}`);
  printLine(`server      ${status.server ?? 'not configured (ccsync login <url>)'}`);
  printLine(`gateway     ${status.gateway ?? 'not configured (--gateway <url>: push when asked)'}`);
  printLine(`cursor      ${formatCount(cursors.size)} transcripts, ${(cursors.bytesRead / 1e6).toFixed(1)} MB read`);
  printLine(`spool       ${formatCount(spool.batches)} batches, ${formatCount(spool.entries)} entries waiting`);
  printLine(
    `last push   ${
      lastPush === null
        ? 'never'
        : `${lastPush.at}: ${formatCount(lastPush.entriesAcknowledged)} stored, ${formatCount(lastPush.entriesSpooled)} spooled${lastPush.error ? ` (${lastPush.error})` : ''}`
    }`,
  );
}
