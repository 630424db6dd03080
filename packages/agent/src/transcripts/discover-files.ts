import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** A transcript and where it sits: `relativePath` is below `projects/`, with "/" separators. */
export interface TranscriptFile {
  readonly path: string;
  readonly projectsDir: string;
  readonly relativePath: string;
}

async function walk(dir: string, found: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // A directory that vanished or cannot be read has no transcripts for us.
  }
  for (const entry of entries) {
    // Dirent types do not follow symbolic links, and ccusage ignores linked files and directories.
    if (entry.isDirectory()) await walk(join(dir, entry.name), found);
    else if (entry.isFile() && entry.name.endsWith('.jsonl')) found.push(join(dir, entry.name));
  }
}

/**
 * Every `*.jsonl` below the given `projects/` directories, in ccusage's order: all files sorted
 * together by their full path, byte by byte. That order decides which copy of a message wins a
 * tie, so it must be exactly this one.
 */
export async function discoverTranscripts(projectsDirs: readonly string[]): Promise<TranscriptFile[]> {
  const files: TranscriptFile[] = [];
  for (const projectsDir of projectsDirs) {
    const found: string[] = [];
    await walk(projectsDir, found);
    for (const path of found) {
      files.push({ path, projectsDir, relativePath: relative(projectsDir, path).split(sep).join('/') });
    }
  }
  return files.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}
