import type { UsageEntry } from '@ccsync/contracts';

/** The keys under which ccusage recognises copies of one assistant message. */
export interface DedupeKeys {
  /**
   * (message.id, requestId) across every file, session and device; (session, message.id) when the line
   * has no requestId. Unlike ccusage's daily report, the timestamp is never part of it (the brief's rule).
   */
  readonly copy: string;
  /** (session, message.id): where a sidechain replay of the message is looked for. */
  readonly replay: string;
}

/** The dedup keys of an entry, or undefined for an entry without `message.id`: those are never merged. */
export function dedupeKeys(entry: UsageEntry): DedupeKeys | undefined {
  const messageId = entry.messageId;
  if (messageId === undefined) return undefined;
  // parseTranscriptLine fills sessionId from the path when the line has none, as ccusage does.
  const replay = `${entry.sessionId ?? ''}\u0000${messageId}`;
  const copy = entry.requestId === undefined ? `s\u0000${replay}` : `r\u0000${messageId}\u0000${entry.requestId}`;
  return { copy, replay };
}

/**
 * A sidechain copy (`isSidechain: true`) of a message already seen in the same session is the same message,
 * whatever the requestIds and timestamps (ccusage's daily rule; its blocks report pairs them only at equal
 * timestamps, and ccsync applies one rule everywhere).
 */
export function isSidechainReplay(seen: UsageEntry, incoming: UsageEntry): boolean {
  return seen.isSidechain || incoming.isSidechain;
}
