import { type Dirent, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A transcript and where it sits: `relativePath` is below `projects/`, with "/" separators. */
export interface TranscriptFile {
  readonly path: string;
  readonly projectsDir: string;
  readonly relativePath: string;
}

// Synchronous on purpose: thousands of small directory reads through the thread pool cost more
// in round trips than the reads themselves, and a CLI has nothing else to do meanwhile.
function walk(dir: string, found: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // A directory that vanished or cannot be read has no transcripts for us.
  }
  for (const entry of entries) {
    // Dirent types do not follow symbolic links, and ccusage ignores linked files and directories.
    if (entry.isDirectory()) walk(join(dir, entry.name), found);
    else if (entry.isFile() && entry.name.endsWith('.jsonl')) found.push(join(dir, entry.name));
  }
}

/**
 * Every `*.jsonl` below the given `projects/` directories, in ccusage's order: all files sorted
 * together by their full path, byte by byte. That order decides which copy of a message wins a
 * tie, so it must be exactly this one.
 */
export function discoverTranscripts(projectsDirs: readonly string[]): TranscriptFile[] {
  const files: TranscriptFile[] = [];
  for (const projectsDir of projectsDirs) {
    const found: string[] = [];
    walk(projectsDir, found);
    for (const path of found) {
      files.push({ path, projectsDir, relativePath: relative(projectsDir, path).split(sep).join('/') });
    }
  }
  // Byte order of the UTF-8 paths; the keys are made once, not in every comparison.
  const keyed = files.map((file) => ({ file, key: Buffer.from(file.path) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ file }) => file);
}
