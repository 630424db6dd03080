export type { Ingest } from './app.ts';
export { startIngest } from './app.ts';
export { IngestEnv } from './config.ts';
export { recordUsage, usageEventId } from './usage/record-usage.ts';
