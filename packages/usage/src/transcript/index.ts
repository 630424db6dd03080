export type { TranscriptLineContext } from './parse-line.ts';
export { entryId, parseTranscriptLine } from './parse-line.ts';
export { parseTranscript, parseTranscripts } from './parse-transcript.ts';
export { parseStrictTimestamp } from './timestamp.ts';
export { projectFromPath, sessionFromPath } from './transcript-path.ts';
