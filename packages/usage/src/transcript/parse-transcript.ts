import type { UsageEntry } from '@ccsync/contracts';
import { parseTranscriptLine } from './parse-line.ts';
import { projectFromPath, sessionFromPath } from './transcript-path.ts';

/**
 * Every entry of one whole transcript held in memory, in line order, with byte offsets. A last line without
 * its newline is still being written: it counts only if it is already complete JSON, as in ccusage.
 * For files of any size, stream lines into `parseTranscriptLine` instead.
 */
export function parseTranscript(pathBelowProjects: string, content: string): UsageEntry[] {
  const context = {
    projectPath: projectFromPath(pathBelowProjects),
    fallbackSessionId: sessionFromPath(pathBelowProjects),
  };
  const entries: UsageEntry[] = [];
  let offset = 0;
  let start = 0;
  while (start < content.length) {
    const newline = content.indexOf('\n', start);
    const end = newline < 0 ? content.length : newline;
    const line = content.slice(start, end);
    for (const entry of parseTranscriptLine(line, { ...context, file: pathBelowProjects, offset })) entries.push(entry);
    offset += Buffer.byteLength(line) + 1;
    start = end + 1;
  }
  return entries;
}

/** Entries of several transcripts in ccusage's order: files sorted by path (byte order), then lines. */
export function parseTranscripts(transcripts: Readonly<Record<string, string>>): UsageEntry[] {
  const paths = Object.keys(transcripts).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return paths.flatMap((path) => parseTranscript(path, transcripts[path] ?? ''));
}
