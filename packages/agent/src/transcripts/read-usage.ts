import { closeSync, openSync, readSync } from 'node:fs';
import type { UsageEntry } from '@ccsync/contracts';
import { parseTranscriptLine, projectFromPath, sessionFromPath } from '@ccsync/usage/transcript';
import type { TranscriptFile } from './discover-files.ts';

/** Only lines holding this can count (ccusage's own pre-check), so no other line is ever decoded. */
const USAGE_MARKER = Buffer.from('"usage":{');
const NEWLINE = 0x0a;
const CHUNK_BYTES = 1024 * 1024;

export interface UsageRead {
  readonly entries: UsageEntry[];
  /** Where the next read starts: after the last complete line. */
  readonly endOffset: number;
}

/**
 * Reads a transcript from a byte offset, streaming it in chunks and never holding the whole file.
 * Lines are found from the usage marker outwards with native buffer searches, so lines without
 * usage cost almost nothing. A last line without its newline is taken only when it is complete
 * JSON; otherwise it is being written, and the next read starts at it.
 */
export function readUsage(file: TranscriptFile, fromOffset: number, onProgress?: (bytes: number) => void): UsageRead {
  const context = {
    file: file.relativePath,
    projectPath: projectFromPath(file.relativePath),
    fallbackSessionId: sessionFromPath(file.relativePath),
  };
  const entries: UsageEntry[] = [];
  const collect = (chunk: Buffer, start: number, end: number, offset: number) => {
    const line = chunk.toString('utf8', start, end);
    for (const entry of parseTranscriptLine(line, { ...context, offset })) entries.push(entry);
  };

  // Synchronous reads: one big sequential read per chunk gains nothing from the thread pool.
  const fd = openSync(file.path, 'r');
  try {
    // The carry (a line cut by the previous read) moves to the front of the buffer and the next
    // read fills in behind it, so no chunk is ever copied or allocated again.
    let buffer: Buffer = readBuffer;
    let carried = 0;
    let base = fromOffset; // file offset of buffer[0]
    let position = fromOffset;
    for (;;) {
      if (carried === buffer.length) buffer = grow(buffer);
      const bytesRead = readSync(fd, buffer, carried, buffer.length - carried, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      onProgress?.(bytesRead);
      const end = carried + bytesRead;
      const lastNewline = buffer.lastIndexOf(NEWLINE, end - 1);
      if (lastNewline < 0) {
        carried = end;
        continue;
      }
      let searchFrom = 0;
      for (;;) {
        const marker = buffer.indexOf(USAGE_MARKER, searchFrom);
        if (marker < 0 || marker > lastNewline) break;
        const lineStart = marker === 0 ? 0 : buffer.lastIndexOf(NEWLINE, marker) + 1;
        const lineEnd = buffer.indexOf(NEWLINE, marker);
        collect(buffer, lineStart, lineEnd, base + lineStart);
        searchFrom = lineEnd + 1;
      }
      buffer.copyWithin(0, lastNewline + 1, end);
      carried = end - lastNewline - 1;
      base += lastNewline + 1;
    }
    if (carried > 0) {
      const last = buffer.subarray(0, carried);
      if (isCompleteJson(last)) {
        if (last.includes(USAGE_MARKER)) collect(buffer, 0, carried, base);
        base += carried;
      }
    }
    readBuffer = buffer;
    return { entries, endOffset: base };
  } finally {
    closeSync(fd);
  }
}

/** One read buffer for the process: files are read one at a time. */
let readBuffer: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);

/** A line longer than the buffer: double it. */
function grow(buffer: Buffer): Buffer {
  const larger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(larger);
  return larger;
}

function isCompleteJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
