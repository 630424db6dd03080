export { ExitCode } from './errors.ts';
export type { PushOptions, PushResult } from './push/push-usage.ts';
export { pushUsage } from './push/push-usage.ts';
export { findProjectsDirs } from './transcripts/claude-dirs.ts';
export { discoverTranscripts } from './transcripts/discover-files.ts';
export { readUsage } from './transcripts/read-usage.ts';
