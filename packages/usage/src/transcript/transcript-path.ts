/**
 * ccusage derives a session from a transcript's path below `projects/` when a line has no `sessionId`:
 * `<project>/<session>.jsonl` → the file name; `…/<session>/subagents/<agent>.jsonl` → the session folder;
 * anything else → the folder the file is in (`projects` itself for a file directly in `projects/`).
 */
export function sessionFromPath(pathBelowProjects: string): string {
  const parts = pathParts(pathBelowProjects);
  const count = parts.length;
  const name = parts[count - 1] ?? '';
  if (count === 2) return name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : name;
  if (count >= 4 && parts[count - 2] === 'subagents') return parts[count - 3] ?? '';
  return count >= 2 ? (parts[count - 2] ?? '') : 'projects';
}

/** ccusage's project of a transcript: the first path component below `projects/`. */
export function projectFromPath(pathBelowProjects: string): string {
  return pathParts(pathBelowProjects)[0] ?? '';
}

function pathParts(pathBelowProjects: string): string[] {
  return pathBelowProjects.split(/[\\/]/).filter((part) => part.length > 0);
}
