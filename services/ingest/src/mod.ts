export type { Ingest } from './app.ts';
export { startIngest } from './app.ts';
export { IngestEnv } from './config.ts';
export { usageEvent, usageEventId } from './usage/record-usage.ts';
